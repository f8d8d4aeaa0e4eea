import * as assert from 'uvu/assert';
import { MaasflowError } from '../../engine/errors.ts';

/** Awaits `fn`, expecting it to reject with a MaasflowError of `code` whose message matches every pattern. */
export async function expectRejects(fn: () => Promise<unknown>, code: string, ...patterns: RegExp[]): Promise<MaasflowError> {
  try {
    await fn();
  } catch (e) {
    assert.instance(e, MaasflowError);
    const err = e as MaasflowError;
    assert.is(err.code, code, err.message);
    for (const p of patterns) assert.match(err.message, p);
    return err;
  }
  throw new assert.Assertion({ message: 'expected an error', generated: false, operator: 'rejects', expects: code, actual: 'no error' });
}

/** What a MaasflowError must carry: its code, its location path, fragments (or patterns) of its message. */
export interface ErrorExpectation {
  code?: string;
  path?: string;
  includes?: readonly (string | RegExp)[];
}

function check(err: unknown, expected: ErrorExpectation): MaasflowError {
  assert.instance(err, MaasflowError);
  const e = err as MaasflowError;
  if (expected.code !== undefined) assert.is(e.code, expected.code, e.message);
  if (expected.path !== undefined) assert.is(e.location?.path, expected.path, e.message);
  for (const f of expected.includes ?? []) {
    if (typeof f === 'string') assert.ok(e.message.includes(f), `"${e.message}" lacks "${f}"`);
    else assert.match(e.message, f);
  }
  return e;
}

const unreachable = (expected: ErrorExpectation): never => assert.unreachable(`no error; expected ${JSON.stringify({ ...expected, includes: expected.includes?.map(String) })}`) as never;

/** Runs `fn`, expecting it to throw a MaasflowError as described. */
export function expectThrows(fn: () => unknown, expected: ErrorExpectation): MaasflowError {
  try {
    fn();
  } catch (err) {
    return check(err, expected);
  }
  return unreachable(expected);
}

/** Awaits `fn`, expecting it to reject with a MaasflowError as described. */
export async function expectRejection(fn: () => Promise<unknown>, expected: ErrorExpectation): Promise<MaasflowError> {
  try {
    await fn();
  } catch (err) {
    return check(err, expected);
  }
  return unreachable(expected);
}
