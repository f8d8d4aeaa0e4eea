/**
 * Reading and checking a registry: the index file and the schema files it
 * names (SchemaRegistry.load), or in-memory entries (SchemaRegistry.fromEntries).
 * Every problem found is reported, not just the first: one problem throws that
 * MaasflowError, several throw ValidationErrors holding them all.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { MaasflowError, ValidationErrors, type ErrorCode, type ErrorLocation } from '../engine/errors.ts';
import { kindOf, parseAvroSchema, type AvroType } from './avro.ts';
import { errorText } from './codec.ts';
import { locatePath, parseJson } from './json.ts';
import type { RegisteredSchema } from './types.ts';
import { MAX_SCHEMA_ID } from './wire-format.ts';

export const INDEX_FILE = 'registry.json';
const FULL_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const ENTRY_KEYS = ['id', 'subject', 'version', 'file'];

/** An entry whose fields are well-formed; `type` is set when its schema parsed and matched. */
interface Candidate {
  id: number;
  subject: string;
  version: number;
  file: string;
  type: AvroType | undefined;
  /** Where the entry is, for registry-level problems. */
  entryAt: ErrorLocation;
  /** Where the schema is, for schema problems. */
  schemaAt: ErrorLocation;
}

class Problems {
  readonly list: MaasflowError[] = [];
  add(code: ErrorCode, message: string, location: ErrorLocation | undefined, cause?: unknown): void {
    this.list.push(new MaasflowError(code, message, { location, cause }));
  }
  throwIfAny(): void {
    if (this.list.length === 1) throw this.list[0];
    if (this.list.length > 1) throw new ValidationErrors(this.list);
  }
}

/** Load `<dir>/registry.json` and every schema it lists. */
export function loadRegistryDir(dir: string): RegisteredSchema[] {
  const indexPath = join(dir, INDEX_FILE);
  const problems = new Problems();
  let text: string;
  try {
    text = readFileSync(indexPath, 'utf8');
  } catch (err) {
    const what = isNotFound(err) ? 'registry index not found' : `cannot read registry index: ${errorText(err)}`;
    throw new MaasflowError('SCHEMA_REGISTRY_INVALID', what, { location: { file: indexPath }, cause: err });
  }
  const parsed = parseJson(text);
  if (!parsed.ok) {
    throw new MaasflowError('SCHEMA_REGISTRY_INVALID', `invalid JSON: ${parsed.message}`, {
      location: { file: indexPath, line: parsed.line, column: parsed.column },
    });
  }
  const at = (path: (string | number)[]): ErrorLocation => ({
    file: indexPath,
    ...locatePath(text, path),
    path: `/${path.join('/')}`,
  });

  const root = parsed.value;
  const list = isObject(root) ? root['schemas'] : undefined;
  if (!Array.isArray(list)) {
    throw new MaasflowError('SCHEMA_REGISTRY_INVALID', 'the registry index must be an object with a "schemas" array', { location: at([]) });
  }
  if (isObject(root)) {
    for (const key of Object.keys(root)) {
      if (key !== 'schemas') problems.add('SCHEMA_REGISTRY_INVALID', `unknown key "${key}" (allowed: schemas)`, at([key]));
    }
  }

  const candidates: Candidate[] = [];
  list.forEach((raw: unknown, i: number) => {
    const entry = checkEntryShape(raw, (field) => at(field === undefined ? ['schemas', i] : ['schemas', i, field]), problems, true);
    if (entry === undefined) return;
    const file = join(dir, entry.file);
    const candidate: Candidate = { ...entry, type: undefined, entryAt: at(['schemas', i]), schemaAt: { file } };
    candidates.push(candidate);
    let schemaText: string;
    try {
      schemaText = readFileSync(file, 'utf8');
    } catch (err) {
      const what = isNotFound(err) ? `schema file not found: ${file}` : `cannot read schema file ${file}: ${errorText(err)}`;
      problems.add('SCHEMA_REGISTRY_INVALID', `${entry.subject}@${entry.version}: ${what}`, at(['schemas', i, 'file']), err);
      return;
    }
    const json = parseJson(schemaText);
    if (!json.ok) {
      problems.add('SCHEMA_INVALID', `invalid JSON: ${json.message}`, { file, line: json.line, column: json.column });
      return;
    }
    candidate.type = parseChecked(json.value, entry.subject, { file }, problems, (path) => ({ file, ...locatePath(schemaText, path) }));
  });
  checkCandidates(candidates, problems);
  problems.throwIfAny();
  return candidates.map(toRegistered);
}

/** Check in-memory entries the same way (no files; `file` is `<memory>`). */
export function registryFromEntries(entries: readonly unknown[]): RegisteredSchema[] {
  const problems = new Problems();
  if (!Array.isArray(entries)) {
    throw new MaasflowError('SCHEMA_REGISTRY_INVALID', 'entries must be an array', { location: { file: '<entries>' } });
  }
  const candidates: Candidate[] = [];
  entries.forEach((raw: unknown, i: number) => {
    const where = (field?: string): ErrorLocation => ({ file: '<entries>', path: field === undefined ? `/${i}` : `/${i}/${field}` });
    const entry = checkEntryShape(raw, where, problems, false);
    if (entry === undefined) return;
    const schemaAt = where('schema');
    const candidate: Candidate = { ...entry, file: '<memory>', type: undefined, entryAt: where(), schemaAt };
    candidates.push(candidate);
    const schema = isObject(raw) ? raw['schema'] : undefined;
    candidate.type = parseChecked(schema, entry.subject, schemaAt, problems, () => schemaAt);
  });
  checkCandidates(candidates, problems);
  problems.throwIfAny();
  return candidates.map(toRegistered);
}

function toRegistered(c: Candidate): RegisteredSchema {
  if (c.type === undefined) throw new MaasflowError('SCHEMA_INVALID', `${c.subject}@${c.version} has no parsed schema`, { location: c.schemaAt });
  return { id: c.id, subject: c.subject, version: c.version, file: c.file, type: c.type };
}

/** Field checks of one entry; returns undefined (after adding problems) when unusable. */
function checkEntryShape(
  raw: unknown,
  at: (field?: string) => ErrorLocation,
  problems: Problems,
  fromFile: boolean,
): { id: number; subject: string; version: number; file: string } | undefined {
  if (!isObject(raw)) {
    problems.add('SCHEMA_REGISTRY_INVALID', 'each entry must be an object with id, subject, version and file', at());
    return undefined;
  }
  const allowed = fromFile ? ENTRY_KEYS : ['id', 'subject', 'version', 'schema'];
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) problems.add('SCHEMA_REGISTRY_INVALID', `unknown key "${key}" (allowed: ${allowed.join(', ')})`, at(key));
  }
  const { id, subject, version, file } = raw;
  let ok = true;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > MAX_SCHEMA_ID) {
    problems.add('SCHEMA_REGISTRY_INVALID', `id must be an integer from 1 to ${MAX_SCHEMA_ID}, got ${JSON.stringify(id)}`, at('id'));
    ok = false;
  }
  if (typeof subject !== 'string' || !FULL_NAME.test(subject)) {
    problems.add('SCHEMA_REGISTRY_INVALID', `subject must be a full Avro name such as "nexmark.Bid", got ${JSON.stringify(subject)}`, at('subject'));
    ok = false;
  }
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    problems.add('SCHEMA_REGISTRY_INVALID', `version must be an integer >= 1, got ${JSON.stringify(version)}`, at('version'));
    ok = false;
  }
  let relFile = '<memory>';
  if (fromFile) {
    if (typeof file !== 'string' || file === '' || isAbsolute(file) || normalize(file).split(sep).includes('..')) {
      problems.add('SCHEMA_REGISTRY_INVALID', `file must be a path relative to the registry folder, got ${JSON.stringify(file)}`, at('file'));
      ok = false;
    } else {
      relFile = file;
    }
  }
  if (!ok || typeof id !== 'number' || typeof subject !== 'string' || typeof version !== 'number') return undefined;
  if (fromFile) {
    const expected = expectedFile(subject, version);
    if (relFile.split(sep).join('/') !== expected) {
      problems.add(
        'SCHEMA_REGISTRY_INVALID',
        `${subject}@${version}: file must be "${expected}" (layout <namespace>/<Name>.v<version>.avsc), got ${JSON.stringify(relFile)}`,
        at('file'),
      );
      return undefined;
    }
  }
  return { id, subject, version, file: relFile };
}

/** `nexmark.Bid`, 2 -> `nexmark/Bid.v2.avsc`; a name without namespace sits at the top. */
export function expectedFile(subject: string, version: number): string {
  const dot = subject.lastIndexOf('.');
  const name = `${subject.slice(dot + 1)}.v${version}.avsc`;
  return dot < 0 ? name : `${subject.slice(0, dot)}/${name}`;
}

/** Parse with avsc and check that the schema is a named type called `subject`. */
function parseChecked(
  schema: unknown,
  subject: string,
  where: ErrorLocation,
  problems: Problems,
  locate: (path: string[]) => ErrorLocation,
): AvroType | undefined {
  let type: AvroType;
  try {
    type = parseAvroSchema(schema);
  } catch (err) {
    problems.add('SCHEMA_INVALID', `${subject}: invalid Avro schema: ${errorText(err)}`, where, err);
    return undefined;
  }
  const kind = kindOf(type);
  if (kind !== 'record' && kind !== 'enum' && kind !== 'fixed') {
    problems.add('SCHEMA_INVALID', `${subject}: the top-level schema must be a named record, enum or fixed called ${subject}, got ${type.typeName}`, where);
    return undefined;
  }
  if (type.name !== subject) {
    problems.add('SCHEMA_INVALID', `schema full name "${type.name ?? ''}" differs from the registry subject "${subject}"`, locate(['name']));
    return undefined;
  }
  return type;
}

/** Registry-wide rules: unique ids, unique (subject, version), versions 1..n, each version reads the previous one. */
function checkCandidates(candidates: readonly Candidate[], problems: Problems): void {
  const byId = new Map<number, Candidate>();
  const byKey = new Map<string, Candidate>();
  const bySubject = new Map<string, Candidate[]>();
  for (const c of candidates) {
    const sameId = byId.get(c.id);
    if (sameId) {
      problems.add('SCHEMA_REGISTRY_INVALID', `duplicate id ${c.id}: ${c.subject}@${c.version} and ${sameId.subject}@${sameId.version}`, c.entryAt);
    } else {
      byId.set(c.id, c);
    }
    const key = `${c.subject}@${c.version}`;
    const sameKey = byKey.get(key);
    if (sameKey) {
      problems.add('SCHEMA_REGISTRY_INVALID', `duplicate subject and version ${key} (ids ${sameKey.id} and ${c.id})`, c.entryAt);
      continue;
    }
    byKey.set(key, c);
    const versions = bySubject.get(c.subject) ?? [];
    versions.push(c);
    bySubject.set(c.subject, versions);
  }
  for (const [subject, versions] of bySubject) {
    versions.sort((a, b) => a.version - b.version);
    const gap = versions.findIndex((c, i) => c.version !== i + 1);
    if (gap >= 0) {
      const at = versions[gap] as Candidate;
      problems.add(
        'SCHEMA_REGISTRY_INVALID',
        `versions of ${subject} must run 1, 2, 3, ... without gaps; got ${versions.map((c) => c.version).join(', ')} (missing version ${gap + 1})`,
        at.entryAt,
      );
      continue;
    }
    for (let i = 1; i < versions.length; i++) {
      const older = versions[i - 1] as Candidate;
      const newer = versions[i] as Candidate;
      if (older.type === undefined || newer.type === undefined) continue;
      try {
        newer.type.createResolver(older.type);
      } catch (err) {
        problems.add(
          'SCHEMA_INCOMPATIBLE',
          `${subject}@${newer.version} cannot read data written with ${subject}@${older.version}: ${errorText(err)} ` +
            '(a new version may add fields with defaults, remove fields, or widen types, but must read every record the previous version wrote)',
          newer.schemaAt,
          err,
        );
      }
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isNotFound(err: unknown): boolean {
  return err instanceof Error && 'code' in err && err.code === 'ENOENT';
}
