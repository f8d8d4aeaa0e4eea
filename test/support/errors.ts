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
