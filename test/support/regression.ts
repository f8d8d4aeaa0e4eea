/**
 * Fixed-seed regression sets (issue 8): a test computes its result from
 * seeded inputs and compares it with test/qmpt/fixtures/regression/NAME.json.
 * QMPT_REGRESSION_WRITE=1 (re)writes the file instead: do that only for an
 * intended change of the numbers, and say so in the commit.
 * Numbers compare with a relative tolerance; everything else exactly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../qmpt/fixtures/regression');

export function matchesRegression(name: string, actual: unknown, relTol = 1e-12): void {
  const file = path.join(DIR, `${name}.json`);
  const plain: unknown = JSON.parse(JSON.stringify(actual, (_k, v: unknown) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v)));
  if (process.env.QMPT_REGRESSION_WRITE === '1') {
    fs.mkdirSync(DIR, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(plain, null, 1) + '\n');
    return;
  }
  assert.ok(fs.existsSync(file), `regression set ${file} is missing: run the test once with QMPT_REGRESSION_WRITE=1`);
  const expected: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  compare(plain, expected, name, relTol);
}

function compare(a: unknown, e: unknown, at: string, tol: number): void {
  if (typeof e === 'number' && typeof a === 'number') {
    const ok = a === e || Math.abs(a - e) <= tol * Math.max(1, Math.abs(e));
    assert.ok(ok, `${at}: ${a} differs from the regression value ${e}`);
    return;
  }
  if (Array.isArray(e)) {
    assert.ok(Array.isArray(a), `${at}: expected an array`);
    const arr = a as unknown[];
    assert.is(arr.length, e.length, `${at}: length`);
    e.forEach((x, i) => compare(arr[i], x, `${at}[${i}]`, tol));
    return;
  }
  if (e !== null && typeof e === 'object') {
    assert.ok(a !== null && typeof a === 'object' && !Array.isArray(a), `${at}: expected an object`);
    const ao = a as Record<string, unknown>;
    assert.equal(Object.keys(ao).sort(), Object.keys(e).sort(), `${at}: keys`);
    for (const k of Object.keys(e)) compare(ao[k], (e as Record<string, unknown>)[k], `${at}.${k}`, tol);
    return;
  }
  assert.is(a, e, `${at}`);
}
