import { parseDuration, durationSchema, type Duration } from '../../engine/duration.ts';

/**
 * Event-time window assignment. A window [start, end) holds t when
 * start <= t < end; hopping windows start at multiples of `slide`,
 * tumbling windows at multiples of `size` (plus `offset`).
 */
export type WindowSpec =
  | { type: 'tumbling'; size: Duration; offset?: Duration }
  | { type: 'hopping'; size: Duration; slide: Duration };

/** One object form (so a mistake gets one error, not one per alternative); window-geometry.ts checks the rest. */
export const windowSpecSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'size'],
  properties: { type: { enum: ['tumbling', 'hopping'] }, size: durationSchema, slide: durationSchema, offset: durationSchema },
  if: { properties: { type: { const: 'hopping' } }, required: ['type'] },
  then: { required: ['type', 'size', 'slide'] },
} as const;

export interface WindowAssigner {
  readonly size: number;
  /** Calls `each` with the start of every window that holds `ts`, oldest first. */
  assign(ts: number, each: (start: number) => void): void;
  describe(): string;
}

export function createAssigner(spec: WindowSpec): WindowAssigner {
  const size = parseDuration(spec.size, 'window.size');
  if (size <= 0) throw new RangeError('window.size must be positive');
  if (spec.type === 'tumbling') {
    const offset = spec.offset === undefined ? 0 : parseDuration(spec.offset, 'window.offset');
    return {
      size,
      assign(ts, each) { each(Math.floor((ts - offset) / size) * size + offset); },
      describe: () => `tumbling ${fmt(size)}${offset ? ` offset ${fmt(offset)}` : ''}`,
    };
  }
  const slide = parseDuration(spec.slide, 'window.slide');
  if (slide <= 0) throw new RangeError('window.slide must be positive');
  return {
    size,
    assign(ts, each) {
      const last = Math.floor(ts / slide) * slide;
      let first = last;
      while (first - slide > ts - size) first -= slide;
      for (let s = first; s <= last; s += slide) each(s);
    },
    describe: () => `hopping ${fmt(size)} every ${fmt(slide)}`,
  };
}

export function fmt(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
