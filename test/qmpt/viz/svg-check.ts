/** Checks on rendered SVG text shared by the viz tests: well-formedness and the marks of one named Vega-Lite layer. */
import * as assert from 'uvu/assert';
import type { Pattern } from '../../../qmpt/types.ts';

/** Starts with <svg, ends with </svg>, and every element is closed in order. */
export function assertWellFormed(svg: string): void {
  assert.ok(svg.startsWith('<svg'), 'starts with <svg');
  assert.ok(svg.endsWith('</svg>'), 'ends with </svg>');
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, selfClose] = m;
    if (selfClose) continue;
    if (close) assert.is(stack.pop(), name, `closing </${name}> matches its opening tag`);
    else stack.push(name!);
  }
  assert.equal(stack, [], 'every element closed');
  assert.not.ok(/[<>]/.test(svg.replace(/<[^<>]*>/g, '')), 'no stray < or > in text');
}

/** The elements inside the mark group of a named layer (`name: 'bins'` → class `bins_marks`); 0 when it is absent. */
export function marksOf(svg: string, name: string, element = 'path'): number {
  const start = svg.indexOf(`role-mark ${name}_marks"`);
  if (start < 0) return 0;
  const end = svg.indexOf('</g>', start);
  return (svg.slice(start, end).match(new RegExp(`<${element}[ >]`, 'g')) ?? []).length;
}

export function pattern(id: string, layer: string, scores: Partial<Pick<Pattern, 'anomaly_score' | 'reflexivity' | 'self_operator' | 'components' | 'metrics_version' | 'feature_spec_version'>> = {}): Pattern {
  return {
    pattern_id: id,
    layer_id: layer,
    metadata: {},
    features: null,
    anomaly_score: null,
    reflexivity: null,
    self_operator: null,
    components: null,
    feature_spec_version: null,
    metrics_version: null,
    ...scores,
  };
}
