/** The chart of an input with nothing to draw: its title, why, and "no data" (never a crash, never an empty file). */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, WIDTH } from '../../control/manager/chart-style.ts';

export function noDataSpec(title: string, notes: readonly string[] = []): TopLevelSpec {
  return {
    title: { text: title, ...(notes.length > 0 ? { subtitle: [...notes] } : {}) },
    background: 'white',
    config: CONFIG,
    width: WIDTH,
    height: 60,
    data: { values: [{ text: 'no data' }] },
    mark: { type: 'text', fontSize: 14, color: '#777777' },
    encoding: { text: { field: 'text', type: 'nominal' } },
  } as TopLevelSpec;
}
