/** Template rendering and answer matching: the small string rules the emulator's decisions rest on. */

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Names of the `{placeholders}` a template uses, in order of first use. */
export function placeholders(template: string): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) if (!out.includes(m[1]!)) out.push(m[1]!);
  return out;
}

/** Fills `{name}` placeholders; an unknown one is a bug (config.ts rejects such templates), so it throws. */
export function render(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`template placeholder {${name}} has no value: ${template}`);
    return v;
  });
}

/** Lower case, punctuation to spaces, single spaces: "Rex!" and "rex" compare equal, "Rexford" does not contain "rex". */
export function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Whether the golden answer appears in the answer as whole words (case and punctuation ignored). */
export function containsAnswer(answer: string, golden: string): boolean {
  const g = normalize(golden);
  if (g === '') return false;
  return ` ${normalize(answer)} `.includes(` ${g} `);
}

/** Whether an answer says "I don't know" (by the configured lower-case markers; apostrophes unified first). */
export function isUnknownAnswer(answer: string, markers: readonly string[]): boolean {
  const a = answer.toLowerCase().replace(/[\u2018\u2019]/g, "'");
  return markers.some((m) => a.includes(m));
}

/** Joins message parts with single spaces, skipping empty ones. */
export function joinParts(...parts: string[]): string {
  return parts
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .join(' ');
}
