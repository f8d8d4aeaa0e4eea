import { defineSource, type SourceChunk } from '../../../engine/connectors.ts';
import { NexmarkGenerator, type NexmarkEvent } from '../../nexmark/index.ts';

interface NexmarkParams { events: number; seed?: number; firstEventRate?: number; baseTime?: number; outOfOrdernessMs?: number }

/** Nexmark Person/Auction/Bid events; bounded by `events`; position = next event index (each event is a pure function of seed and index). */
export const nexmarkSource = defineSource<NexmarkParams>({
  type: 'nexmark',
  summary: 'Deterministic seeded Nexmark generator (Person/Auction/Bid)',
  formats: ['object'],
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['events'],
    properties: {
      events: { type: 'integer', minimum: 0 },
      seed: { type: 'integer' },
      firstEventRate: { type: 'number', exclusiveMinimum: 0 },
      // (the generator keeps times in whole milliseconds)
      baseTime: { type: 'integer', minimum: 0 },
      outOfOrdernessMs: { type: 'number', minimum: 0 },
    },
  },
  create(p) {
    const gen = new NexmarkGenerator({ seed: p.seed ?? 42, events: p.events, firstEventRate: p.firstEventRate, baseTime: p.baseTime, outOfOrdernessMs: p.outOfOrdernessMs });
    let next = 0;
    return {
      async open(restore) {
        next = typeof restore === 'number' ? restore : 0;
      },
      poll(max): SourceChunk {
        const n = Math.max(0, Math.min(max, p.events - next));
        const values = new Array<NexmarkEvent>(n);
        const timestamps = new Float64Array(n);
        const got = n > 0 ? gen.generate(next, n, values, timestamps) : 0;
        next += got;
        if (got < n) values.length = got;
        return { values, timestamps: got < n ? timestamps.subarray(0, got) : timestamps, keys: null, partitions: null, offsets: null, topic: 'nexmark', end: next >= p.events };
      },
      position: () => next,
      commit() {},
      close() {},
    };
  },
});
