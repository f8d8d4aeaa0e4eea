/**
 * The built-in functions an expression may call by name. Generated code
 * reaches them only through the frozen `HELPERS` object handed to it by
 * closure, never through globals, so nothing a topology file writes can
 * reach (or be confused by a patched) `Math`, `String`, ...
 */

/** FNV-1a, 32 bit, over the UTF-8 bytes of `String(x)`; unsigned result. */
export function fnv1a32(x: unknown): number {
  const s = String(x);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    // A lone surrogate is encoded as U+FFFD, as TextEncoder does.
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) {
      h = Math.imul(h ^ c, 0x01000193);
    } else if (c < 0x800) {
      h = Math.imul(h ^ (0xc0 | (c >> 6)), 0x01000193);
      h = Math.imul(h ^ (0x80 | (c & 0x3f)), 0x01000193);
    } else if (c < 0x10000) {
      h = Math.imul(h ^ (0xe0 | (c >> 12)), 0x01000193);
      h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), 0x01000193);
      h = Math.imul(h ^ (0x80 | (c & 0x3f)), 0x01000193);
    } else {
      h = Math.imul(h ^ (0xf0 | (c >> 18)), 0x01000193);
      h = Math.imul(h ^ (0x80 | ((c >> 12) & 0x3f)), 0x01000193);
      h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), 0x01000193);
      h = Math.imul(h ^ (0x80 | (c & 0x3f)), 0x01000193);
    }
  }
  return h >>> 0;
}

const toNumber = (x: unknown): number => {
  if (typeof x === 'number') return x;
  if (x === null || x === undefined) return NaN;
  if (typeof x === 'string' && x.trim() === '') return NaN;
  return Number(x);
};

const toText = (x: unknown): string => (x === null || x === undefined ? '' : String(x));

export const HELPERS = Object.freeze({
  abs: Math.abs,
  floor: Math.floor,
  ceil: Math.ceil,
  round: Math.round,
  min: Math.min,
  max: Math.max,
  sqrt: Math.sqrt,
  pow: Math.pow,
  log: Math.log,
  exp: Math.exp,
  len: (x: unknown): number | undefined => (typeof x === 'string' || Array.isArray(x) ? x.length : undefined),
  lower: (x: unknown): string | undefined => (x === null || x === undefined ? undefined : String(x).toLowerCase()),
  upper: (x: unknown): string | undefined => (x === null || x === undefined ? undefined : String(x).toUpperCase()),
  concat: (...parts: unknown[]): string => {
    let out = '';
    for (const p of parts) out += toText(p);
    return out;
  },
  contains: (haystack: unknown, needle: unknown): boolean => {
    if (typeof haystack === 'string') return haystack.includes(toText(needle));
    if (Array.isArray(haystack)) return haystack.includes(needle);
    return false;
  },
  startsWith: (s: unknown, prefix: unknown): boolean => typeof s === 'string' && s.startsWith(toText(prefix)),
  split: (s: unknown, sep: unknown): string[] | undefined => (typeof s === 'string' ? s.split(toText(sep)) : undefined),
  substr: (s: unknown, start: unknown, length?: unknown): string | undefined => {
    if (typeof s !== 'string') return undefined;
    let from = Math.trunc(toNumber(start));
    if (Number.isNaN(from)) from = 0;
    if (from < 0) from = Math.max(0, s.length + from);
    if (length === undefined) return s.slice(from);
    const n = Math.trunc(toNumber(length));
    return Number.isNaN(n) || n <= 0 ? '' : s.slice(from, from + n);
  },
  number: toNumber,
  string: toText,
  coalesce: (...xs: unknown[]): unknown => {
    for (const x of xs) if (x !== null && x !== undefined) return x;
    return xs.length > 0 ? xs[xs.length - 1] : undefined;
  },
  hash: fnv1a32,
});

export type FunctionName = keyof typeof HELPERS;

export interface FunctionSpec {
  readonly min: number;
  readonly max: number;
  readonly signature: string;
}

const INF = Number.POSITIVE_INFINITY;

/** Arity of each function, checked when an expression is compiled. */
export const FUNCTIONS: Readonly<Record<FunctionName, FunctionSpec>> = Object.freeze({
  abs: { min: 1, max: 1, signature: 'abs(x)' },
  floor: { min: 1, max: 1, signature: 'floor(x)' },
  ceil: { min: 1, max: 1, signature: 'ceil(x)' },
  round: { min: 1, max: 1, signature: 'round(x)' },
  min: { min: 1, max: INF, signature: 'min(a, b, ...)' },
  max: { min: 1, max: INF, signature: 'max(a, b, ...)' },
  sqrt: { min: 1, max: 1, signature: 'sqrt(x)' },
  pow: { min: 2, max: 2, signature: 'pow(base, exponent)' },
  log: { min: 1, max: 1, signature: 'log(x)' },
  exp: { min: 1, max: 1, signature: 'exp(x)' },
  len: { min: 1, max: 1, signature: 'len(stringOrArray)' },
  lower: { min: 1, max: 1, signature: 'lower(s)' },
  upper: { min: 1, max: 1, signature: 'upper(s)' },
  concat: { min: 1, max: INF, signature: 'concat(a, b, ...)' },
  contains: { min: 2, max: 2, signature: 'contains(haystack, needle)' },
  startsWith: { min: 2, max: 2, signature: 'startsWith(s, prefix)' },
  split: { min: 2, max: 2, signature: 'split(s, separator)' },
  substr: { min: 2, max: 3, signature: 'substr(s, start[, length])' },
  number: { min: 1, max: 1, signature: 'number(x)' },
  string: { min: 1, max: 1, signature: 'string(x)' },
  coalesce: { min: 1, max: INF, signature: 'coalesce(a, b, ...)' },
  hash: { min: 1, max: 1, signature: 'hash(x)' },
});

export const FUNCTION_NAMES: readonly FunctionName[] = Object.freeze(Object.keys(FUNCTIONS) as FunctionName[]);

export function isFunctionName(name: string): name is FunctionName {
  return Object.prototype.hasOwnProperty.call(FUNCTIONS, name);
}

/** Functions that exist in JavaScript but are refused because their result is not deterministic. */
export const NONDETERMINISTIC: Readonly<Record<string, string>> = Object.freeze({
  now: 'now() is not allowed: expressions must be deterministic (use the record timestamp instead)',
  random: 'random() is not allowed: expressions must be deterministic (use hash(x) instead)',
});
