/**
 * The Tuner's guards: a parameter version may hold only known impact factors
 * within their ranges or allowed sets (docs/IMPACTS.md), and a change may
 * touch only the factors the caller allows (the goal's allowed factors).
 * Every refusal is a PARAM_GUARD error naming each parameter, its value and
 * what is allowed.
 */
import { MaasflowError } from '../../engine/errors.ts';
import { IMPACT_FACTORS, validateParams } from '../../operators/maas/params.ts';
import type { MaasParams } from '../../operators/maas/types.ts';

const FACTOR_NAMES = new Set<string>(IMPACT_FACTORS.map((f) => f.name));

/** The complete parameters of `params` (missing factors take their defaults), or PARAM_GUARD listing every problem. */
export function guardParams(params: unknown, where: string): MaasParams {
  try {
    return validateParams(params, where);
  } catch (err) {
    throw new MaasflowError('PARAM_GUARD', (err as Error).message, { cause: err });
  }
}

/** Factors whose value differs between two complete versions, in docs/IMPACTS.md order. */
export function changedFactors(from: MaasParams, to: MaasParams): { param: keyof MaasParams; from: number | string; to: number | string }[] {
  return IMPACT_FACTORS.filter((f) => from[f.name] !== to[f.name]).map((f) => ({ param: f.name, from: from[f.name], to: to[f.name] }));
}

/**
 * Refuses a move from `from` to `to` that changes a factor outside `allowed`
 * (undefined: every factor is allowed). Unknown names in `allowed` are
 * refused too, so a typo in a goal cannot silently allow nothing.
 */
export function guardAllowed(from: MaasParams, to: MaasParams, allowed: readonly string[] | undefined, where: string): void {
  if (allowed === undefined) return;
  const unknown = allowed.filter((a) => !FACTOR_NAMES.has(a));
  if (unknown.length > 0) throw new MaasflowError('PARAM_GUARD', `${where}: unknown impact factor(s) in the allowed list: ${unknown.join(', ')}`);
  const outside = changedFactors(from, to).filter((c) => !allowed.includes(c.param));
  if (outside.length > 0) {
    const list = outside.map((c) => `${c.param} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`).join('; ');
    throw new MaasflowError('PARAM_GUARD', `${where}: changes factors the goal does not allow (${list}); allowed: ${allowed.join(', ') || '(none)'}`);
  }
}
