import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddedLog } from '../../../streams/log/index.ts';
import { expectError, rec, rmDir, tmpDir } from './helpers.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
let dir = '';
test.before.each(() => {
  dir = tmpDir('lock');
});
test.after.each(() => {
  rmDir(dir);
});

test('open writes LOCK with the pid; close removes it', () => {
  const log = EmbeddedLog.open(dir);
  assert.is(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8').trim(), String(process.pid));
  log.close();
  assert.not.ok(fs.existsSync(path.join(dir, 'LOCK')));
});

test('a second open in the same process fails with LOG_LOCKED', () => {
  const log = EmbeddedLog.open(dir);
  const err = expectError('LOG_LOCKED', () => EmbeddedLog.open(dir));
  assert.ok(err.message.includes(dir));
  expectError('LOG_LOCKED', () => EmbeddedLog.open(path.join(dir, '.')));
  log.close();
  EmbeddedLog.open(dir).close();
});

test('a LOCK held by another live pid fails with LOG_LOCKED', () => {
  fs.writeFileSync(path.join(dir, 'LOCK'), `${process.ppid}\n`);
  const err = expectError('LOG_LOCKED', () => EmbeddedLog.open(dir));
  assert.ok(err.message.includes(String(process.ppid)));
  assert.is(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8').trim(), String(process.ppid), 'lock untouched');
});

test('a stale LOCK (dead pid, garbage, or our own pid left by an earlier process) is taken over', () => {
  for (const content of ['999999\n', 'garbage', '', `${process.pid}\n`]) {
    fs.writeFileSync(path.join(dir, 'LOCK'), content);
    const log = EmbeddedLog.open(dir);
    log.createTopic('t', { partitions: 1 });
    log.append('t', 0, [rec('x')]);
    assert.is(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8').trim(), String(process.pid));
    log.close();
  }
});

test('a lock held by a live child process; taken over after the child is SIGKILLed', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'hold-lock.ts'), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
    });
    const err = expectError('LOG_LOCKED', () => EmbeddedLog.open(dir));
    assert.ok(err.message.includes(String(child.pid)));
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  const log = EmbeddedLog.open(dir);
  log.close();
});

test.run();
