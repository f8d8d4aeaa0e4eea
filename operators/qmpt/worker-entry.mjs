// Piscina's entry for the QMPT workers. Node 20 does not apply the parent's
// `--import tsx` ESM hooks inside worker threads, so this plain-JS module
// registers tsx's loader in its own thread, then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./worker.ts');

export const { chunks, scoreChunk } = worker;
