/**
 * NumericFeatureSpec (docs/QMPT.md §2): a `number[]` or `{ name: number }`
 * payload (behaviour, EEG band powers, logits), z-scored with the fit set's
 * moments. The columns are fixed at fit: an array's positions, or a record's
 * keys in sorted order. Every observation must then give every column a
 * finite number; a record key the fit set did not have is ignored.
 */
import { matrix } from '../matrix.ts';
import type { FeaturesConfig, Matrix, Observation } from '../types.ts';
import { AbstractFeatureSpec, payloadError, stateError, stateNumbers, stateStrings, type FeatureSpec, type FeatureSpecFactory, type FeatureSpecState } from './base.ts';
import { describe, isRecord } from './options.ts';
import { fitColumnMoments, standardizeInPlace, type ColumnMoments } from './standardize.ts';

type Layout = 'array' | 'record';

interface NumericFitted {
  layout: Layout;
  columns: readonly string[];
  moments: ColumnMoments;
}

/** A key as a JSON-pointer segment (RFC 6901). */
function pointer(key: string): string {
  return `/payload/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

export class NumericFeatureSpec extends AbstractFeatureSpec {
  private state: NumericFitted | null = null;

  constructor(config: FeaturesConfig) {
    super(config);
  }

  get fitted(): boolean {
    return this.state !== null;
  }

  protected fittedColumns(): readonly string[] {
    return this.state!.columns;
  }

  protected async learn(obs: readonly Observation[]): Promise<Matrix> {
    const first = obs[0]!;
    let layout: Layout;
    let columns: string[];
    if (Array.isArray(first.payload)) {
      layout = 'array';
      columns = first.payload.map((_, i) => String(i));
    } else if (isRecord(first.payload)) {
      layout = 'record';
      const keys = new Set<string>();
      for (const o of obs) if (isRecord(o.payload)) for (const k of Object.keys(o.payload)) keys.add(k);
      columns = [...keys].sort();
    } else {
      throw payloadError(this, first, '/payload', `must be a number[] or a { name: number } record, got ${describe(first.payload)}`);
    }
    if (columns.length === 0) throw payloadError(this, first, '/payload', 'holds no value: a numeric spec needs at least one column');
    const X = readRows(this, obs, layout, columns);
    const moments = fitColumnMoments(X);
    standardizeInPlace(X, moments);
    this.state = { layout, columns, moments };
    return X;
  }

  protected async apply(obs: readonly Observation[]): Promise<Matrix> {
    const { layout, columns, moments } = this.state!;
    const X = readRows(this, obs, layout, columns);
    standardizeInPlace(X, moments);
    return X;
  }

  protected fittedState(): Record<string, unknown> {
    const { layout, columns, moments } = this.state!;
    return { layout, columns: [...columns], mean: Array.from(moments.mean), std: Array.from(moments.std) };
  }

  restore(state: FeatureSpecState): this {
    const f = state.fitted;
    if (f === null) return this;
    if (f.layout !== 'array' && f.layout !== 'record') throw stateError(state, 'layout', `must be "array" or "record", got ${describe(f.layout)}`);
    const columns = stateStrings(state, f, 'columns');
    if (columns.length === 0) throw stateError(state, 'columns', 'must name at least one column');
    this.state = { layout: f.layout, columns, moments: { mean: stateNumbers(state, f, 'mean', columns.length), std: stateNumbers(state, f, 'std', columns.length) } };
    return this;
  }
}

/** The raw n×c values; each error names the observation and the key. */
function readRows(spec: FeatureSpec, obs: readonly Observation[], layout: Layout, columns: readonly string[]): Matrix {
  const c = columns.length;
  const X = matrix(obs.length, c);
  obs.forEach((o, i) => {
    const p = o.payload;
    if (layout === 'array') {
      if (!Array.isArray(p)) throw payloadError(spec, o, '/payload', `must be a number[] like the fit set's, got ${describe(p)}`);
      if (p.length > c) throw payloadError(spec, o, '/payload', `holds ${p.length} values, the spec was fitted on ${c}`);
    } else if (!isRecord(p)) {
      throw payloadError(spec, o, '/payload', `must be a { name: number } record like the fit set's, got ${describe(p)}`);
    }
    const values = p as Record<string, unknown>;
    for (let j = 0; j < c; j++) {
      const key = columns[j]!;
      const v = values[key];
      if (v === undefined) throw payloadError(spec, o, pointer(key), `missing: "${key}" is a column of the spec (seen at fit)`);
      if (typeof v !== 'number' || !Number.isFinite(v)) throw payloadError(spec, o, pointer(key), `must be a finite number, got ${describe(v)}`);
      X.data[i * c + j] = v;
    }
  });
  return X;
}

export const numericFeatureSpecFactory: FeatureSpecFactory = {
  create: (config) => new NumericFeatureSpec(config),
  fromState: (state) => new NumericFeatureSpec(state.config).restore(state),
};
