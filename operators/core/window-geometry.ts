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
  /** Configuration problems (empty when the window is usable); `path` is below the window spec. */
  problems: { path: string; message: string }[];
  /** Start of the oldest window holding the pane. */
  firstStart(paneStart: number): number;
  /** Start of the newest window holding the pane. */
  lastStart(paneStart: number): number;
  firstEnd(paneStart: number): number;
  lastEnd(paneStart: number): number;
  paneOf(ts: number): number;
  /** Calls `each` with the start of every window that holds `ts`, oldest first. */
  assign(ts: number, each: (start: number) => void): void;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export function windowGeometry(spec: WindowSpec): WindowGeometry {
  const problems: { path: string; message: string }[] = [];
  const raw = spec as { type: string; size: WindowSpec['size']; slide?: WindowSpec['size']; offset?: WindowSpec['size'] };
  const size = parseDuration(raw.size, 'window.size');
  const slide = raw.type === 'hopping' && raw.slide !== undefined ? parseDuration(raw.slide, 'window.slide') : size;
  const offset = raw.offset !== undefined ? parseDuration(raw.offset, 'window.offset') : 0;
  if (size <= 0) problems.push({ path: 'size', message: 'window size must be positive' });
  else if (!Number.isInteger(size)) problems.push({ path: 'size', message: 'window size must be whole milliseconds' });
  if (raw.type === 'tumbling' && raw.slide !== undefined) problems.push({ path: 'slide', message: 'a tumbling window has no slide (use type: hopping)' });
  if (raw.type === 'hopping') {
    if (raw.offset !== undefined) problems.push({ path: 'offset', message: 'offset is only supported for tumbling windows' });
    if (slide <= 0) problems.push({ path: 'slide', message: 'window slide must be positive' });
    else if (!Number.isInteger(slide)) problems.push({ path: 'slide', message: 'window slide must be whole milliseconds' });
    else if (size > 0 && slide > size) problems.push({ path: 'slide', message: `window slide (${fmt(slide)}) must not exceed its size (${fmt(size)})` });
  }
  const pane = problems.length === 0 ? gcd(size, slide) : Math.max(1, size);
  const paneOf = (ts: number): number => Math.floor((ts - offset) / pane) * pane + offset;
  const lastStart = (ps: number): number => Math.floor((ps - offset) / slide) * slide + offset;
  // oldest start: the smallest offset + k*slide with s + size > ps, i.e. s >= ps + pane - size
  const firstStart = (ps: number): number => Math.ceil((ps + pane - size - offset) / slide) * slide + offset;
  return {
    size,
    slide,
    pane,
    offset,
    problems,
    describe: raw.type === 'tumbling' ? `tumbling ${fmt(size)}${offset ? ` offset ${fmt(offset)}` : ''}` : `hopping ${fmt(size)} every ${fmt(slide)}`,
    firstStart,
    lastStart,
    firstEnd: (ps) => firstStart(ps) + size,
    lastEnd: (ps) => lastStart(ps) + size,
    paneOf,
    assign(ts, each) {
      const ps = paneOf(ts);
      for (let s = firstStart(ps), last = lastStart(ps); s <= last; s += slide) each(s);
    },
  };
}
