import { defineSink } from '../../engine/connectors.ts';

/** Discards records (benchmarks); the engine still counts them per sink. */
export const blackholeSink = defineSink<Record<string, never>>({
  type: 'blackhole',
  summary: 'Discard records (benchmarks)',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  create() {
    return { async open() {}, write() {}, flush: () => null, close() {} };
  },
});
