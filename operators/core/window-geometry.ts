import { parseDuration } from '../../engine/duration.ts';
import { fmt, type WindowSpec } from './window-assigner.ts';

/**
 * Tumbling and hopping windows cut into panes of gcd(size, slide): window
 * starts are offset + k * slide; a pane [ps, ps + pane) belongs to every
 * window whose start s satisfies s <= ps < s + size.
 */
export interface WindowGeometry {
  size: number;
  slide: number;
  pane: number;
  offset: number;
  describe: string;
  /** Configuration problems (empty when the window is usable). */
  problems: string[];
  /** Start of the oldest window holding the pane. */
  firstStart(paneStart: number): number;
  /** Start of the newest window holding the pane. */
  lastStart(paneStart: number): number;
  firstEnd(paneStart: number): number;
  lastEnd(paneStart: number): number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export function windowGeometry(spec: WindowSpec): WindowGeometry {
  const problems: string[] = [];
  const size = parseDuration(spec.size, 'window.size');
  const slide = spec.type === 'hopping' ? parseDuration(spec.slide, 'window.slide') : size;
  const offset = spec.type === 'tumbling' && spec.offset !== undefined ? parseDuration(spec.offset, 'window.offset') : 0;
  if (size <= 0) problems.push('window size must be positive');
  if (slide <= 0) problems.push('window slide must be positive');
  if (slide > size) problems.push(`window slide (${fmt(slide)}) must not exceed its size (${fmt(size)})`);
  if (!Number.isInteger(size) || !Number.isInteger(slide)) problems.push('window size and slide must be whole milliseconds');
  const pane = problems.length === 0 ? gcd(size, slide) : Math.max(1, size);
  const lastStart = (ps: number): number => Math.floor((ps - offset) / slide) * slide + offset;
  // oldest start: the smallest offset + k*slide with s + size > ps, i.e. s >= ps + pane - size
  const firstStart = (ps: number): number => Math.ceil((ps + pane - size - offset) / slide) * slide + offset;
  return {
    size,
    slide,
    pane,
    offset,
    problems,
    describe: spec.type === 'tumbling' ? `tumbling ${fmt(size)}${offset ? ` offset ${fmt(offset)}` : ''}` : `hopping ${fmt(size)} every ${fmt(slide)}`,
    firstStart,
    lastStart,
    firstEnd: (ps) => firstStart(ps) + size,
    lastEnd: (ps) => lastStart(ps) + size,
  };
}
