/**
 * A Vega-Lite spec to an SVG string in Node, headless (renderer 'none', no
 * canvas package), byte-for-byte the same for the same spec:
 * - text widths are always estimated from character counts: with the
 *   optional `canvas` package present vega would measure with it instead,
 *   and the bytes would depend on what is installed;
 * - vega numbers clip paths and gradients from process-wide counters
 *   (`clip1`, `gradient_0`, ... growing with every render), so the ids are
 *   renumbered per chart, prefixed with the chart's name so that several
 *   SVGs inlined into one page never share an id.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

interface TextMetrics {
  canvas(use: boolean): void;
}

function isTextMetrics(v: unknown): v is TextMetrics {
  return typeof v === 'object' && v !== null && typeof (v as { canvas?: unknown }).canvas === 'function';
}

// vega exports textMetrics at runtime; its typings omit it.
const metrics: unknown = (vega as unknown as Record<string, unknown>)['textMetrics'];
if (isTextMetrics(metrics)) metrics.canvas(false);

/** Vega-Lite's warnings are dropped: a report must not write to the console (its errors still throw). */
const quiet = vega.logger(vega.None);

/** Renumbers the SVG's ids (`id="clip7"` → `id="NAME-1"`) and every reference to them. */
export function normalizeIds(svg: string, name: string): string {
  const ids = [...svg.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1] as string);
  const renamed = new Map<string, string>();
  for (const id of ids) if (!renamed.has(id)) renamed.set(id, `${name}-${renamed.size + 1}`);
  if (renamed.size === 0) return svg;
  return svg.replace(/(\bid="|url\(#|href="#)([^")]+)/g, (whole, lead: string, id: string) => {
    const to = renamed.get(id);
    return to === undefined ? whole : `${lead}${to}`;
  });
}

/** The SVG of a Vega-Lite spec; `name` prefixes its ids. */
export async function renderSvg(spec: TopLevelSpec, name: string): Promise<string> {
  const compiled = compile(spec, { logger: quiet });
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none' });
  try {
    return normalizeIds(await view.toSVG(), name);
  } finally {
    view.finalize();
  }
}
