/**
 * The model naming notation of seed 001 §10:
 * `<family>-<size>-<purpose>-<quant>-v<major>.<minor>[.<patch>]`, e.g.
 * `qwen2.5-7b-instruct-q5_k_m-v1.1`. The family may contain hyphens
 * (`gpt-oss`); the size is a parameter count (`7b`, `0.5b`, `335m`) or a
 * named size (`tiny`, `small`, `base`, `large`); major = a change of quality,
 * family or context, minor = quantisation or parameters, patch = tokenizer fixes.
 */
export interface ModelName {
  family: string;
  size: string;
  purpose: string;
  quant: string;
  major: number;
  minor: number;
  patch: number | null;
}

const NAME = /^(?<family>[a-z0-9][a-z0-9.]*(?:-[a-z0-9][a-z0-9.]*)*?)-(?<size>\d+(?:\.\d+)?[kmb]|tiny|mini|small|base|medium|large|xl)-(?<purpose>[a-z0-9]+)-(?<quant>[a-z0-9_]+)-v(?<major>\d+)\.(?<minor>\d+)(?:\.(?<patch>\d+))?$/;

/** The parts of a name, or null when it does not follow the notation. */
export function parseModelName(id: string): ModelName | null {
  const m = NAME.exec(id);
  if (!m?.groups) return null;
  const g = m.groups;
  return { family: g.family!, size: g.size!, purpose: g.purpose!, quant: g.quant!, major: Number(g.major), minor: Number(g.minor), patch: g.patch === undefined ? null : Number(g.patch) };
}

export function formatModelName(n: ModelName): string {
  return `${n.family}-${n.size}-${n.purpose}-${n.quant}-v${n.major}.${n.minor}${n.patch === null ? '' : `.${n.patch}`}`;
}

/** Quantisation labels compared loosely: `Q4_K_M`, `q4km` and `q4-k-m` are the same. */
export function sameQuant(a: string, b: string): boolean {
  const norm = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  return norm(a) === norm(b);
}

/** Orders versions of one model: negative when `a` is older. */
export function compareVersions(a: ModelName, b: ModelName): number {
  return a.major - b.major || a.minor - b.minor || (a.patch ?? 0) - (b.patch ?? 0);
}
