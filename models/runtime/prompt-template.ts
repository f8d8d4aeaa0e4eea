import { createHash } from 'node:crypto';
import { MaasflowError } from '../../engine/errors.ts';

/** A prompt template, versioned by the hash of its text (recorded with every call, so a result can be reproduced). */
export interface PromptTemplate {
  readonly id: string;
  readonly text: string;
  /** First 16 hex digits of sha256(text). */
  readonly hash: string;
  /** The `{{name}}` placeholders, in order of first use. */
  readonly variables: readonly string[];
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export function promptTemplate(id: string, text: string): PromptTemplate {
  const variables = [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
  return { id, text, hash: createHash('sha256').update(text).digest('hex').slice(0, 16), variables };
}

/** Fills every placeholder; a missing or extra variable is an error naming the template. */
export function renderPrompt(t: PromptTemplate, vars: Readonly<Record<string, string>>): string {
  const missing = t.variables.filter((v) => vars[v] === undefined);
  if (missing.length > 0) throw new MaasflowError('CONFIG', `prompt template ${t.id} (${t.hash}): no value for ${missing.map((v) => `{{${v}}}`).join(', ')}`);
  const extra = Object.keys(vars).filter((v) => !t.variables.includes(v));
  if (extra.length > 0) throw new MaasflowError('CONFIG', `prompt template ${t.id} (${t.hash}) has no placeholder for ${extra.join(', ')}`);
  return t.text.replace(PLACEHOLDER, (_, name: string) => vars[name]!);
}
