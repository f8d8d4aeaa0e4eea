import type { BatchOperator, OperatorContext } from '../engine/operator.ts';
import type { JsonSchema } from '../engine/connectors.ts';

/** An expression inside operator params, checked by `maasflow validate`. */
export interface ExpressionSite {
  /** Path below params, e.g. "fields/price". */
  readonly path: string;
  readonly expr: string;
  readonly variables: readonly string[];
}

/** How an operator changes the keying of its stream (for describe and validation). */
export type KeyEffect = 'preserves' | 'sets' | 'clears';

export interface OperatorDescription {
  keyBy?: string;
  window?: string;
  notes?: string;
}

export interface OperatorDefinition {
  readonly type: string;
  readonly summary: string;
  readonly paramsSchema: JsonSchema;
  /** Number of inputs accepted; `names` label them (join: left, right). */
  readonly inputs: { readonly min: number; readonly max: number; readonly names?: readonly string[] };
  readonly keyEffect: KeyEffect;
  ports(params: unknown): string[];
  expressions(params: unknown): ExpressionSite[];
  /** Rules JSON Schema cannot express (e.g. slide <= size); `path` is below params. */
  check(params: unknown): { path: string; message: string }[];
  describe(params: unknown): OperatorDescription;
  create(params: unknown, ctx: OperatorContext): BatchOperator | Promise<BatchOperator>;
}

/** Typed authoring of a definition; params are validated against `paramsSchema` before any method sees them. */
export function defineOperator<P>(def: {
  type: string;
  summary: string;
  paramsSchema: JsonSchema;
  inputs?: { min: number; max: number; names?: readonly string[] };
  keyEffect?: KeyEffect;
  ports?(params: P): string[];
  expressions?(params: P): ExpressionSite[];
  check?(params: P): { path: string; message: string }[];
  describe?(params: P): OperatorDescription;
  create(params: P, ctx: OperatorContext): BatchOperator | Promise<BatchOperator>;
}): OperatorDefinition {
  return {
    type: def.type,
    summary: def.summary,
    paramsSchema: def.paramsSchema,
    inputs: def.inputs ?? { min: 1, max: 1 },
    keyEffect: def.keyEffect ?? 'preserves',
    ports: (p) => (def.ports ? def.ports(p as P) : ['out']),
    expressions: (p) => (def.expressions ? def.expressions(p as P) : []),
    check: (p) => (def.check ? def.check(p as P) : []),
    describe: (p) => (def.describe ? def.describe(p as P) : {}),
    create: (p, ctx) => def.create(p as P, ctx),
  };
}

export const RECORD_VARIABLES = ['value', 'key', 'timestamp'] as const;
