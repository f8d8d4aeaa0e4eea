import { durationSchema, type Duration } from '../../engine/duration.ts';

/**
 * Window specs in topology files. A window [start, end) holds t when
 * start <= t < end; hopping windows start at multiples of `slide`,
 * tumbling windows at multiples of `size` (plus `offset`). Which windows hold
 * a time is computed in window-geometry.ts.
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

export function fmt(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
