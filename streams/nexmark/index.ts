export * from './generator.ts';
export { SplitMix32, fmix32, hashSeed } from './prng.ts';
