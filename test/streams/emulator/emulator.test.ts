import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChatRequest } from '../../../operators/maas/types.ts';
import { runEmulator, type EmulatorOptions, type EmulatorReport } from '../../../streams/emulator/index.ts';
import { fakeMaas, type FakeOptions } from './fake-maas.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emulator-run-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(fake: FakeOptions, o: Partial<EmulatorOptions> = {}): Promise<{ report: EmulatorReport; calls: ChatRequest[] }> {
  const f = fakeMaas(fake);
  const report = await runEmulator({ seed: 2024, dialogues: 100, chat: f.chat, ...o });
  return { report, calls: f.calls };
}

function byThread(calls: readonly ChatRequest[]): Map<string, ChatRequest[]> {
  const m = new Map<string, ChatRequest[]>();
  for (const c of calls) {
    const list = m.get(c.thread_id) ?? [];
    list.push(c);
    m.set(c.thread_id, list);
  }
  return m;
}

/** The report without its wall-clock field. */
function stable(r: EmulatorReport): Omit<EmulatorReport, 'elapsed_ms'> {
  const { elapsed_ms: _e, ...rest } = r;
  return rest;
}

test('100 dialogues against a MaaS that remembers: all questions answered, facts planted before asked, cross-thread questions included', async () => {
  const { report, calls } = await run({ mode: 'remember' });
  assert.is(report.dialogues, 100);
  assert.is(report.threads.length, 100);
  assert.ok(report.users >= 30 && report.users < 100, `${report.users} users: several threads per user`);
  assert.is(report.requests, calls.length);
  assert.is(report.turns, calls.length);
  assert.is(report.failed_runs, 0);
  assert.ok(report.questions_total >= 100, `${report.questions_total} questions`);
  assert.is(report.accuracy, 1);
  assert.is(report.answer_rate, 1);
  assert.ok(report.questions.some((q) => q.cross_thread), 'some questions test memory across threads');
  assert.ok(report.questions.every((q) => q.planted_before && q.correct && q.golden_facts.length === 1 && q.golden_answer !== ''));
  assert.ok(calls.every((c) => c.client_type === 'emulator'));
  assert.is(new Set(calls.map((c) => c.message_id)).size, calls.length, 'message ids are unique');

  // At the MaaS side: for each user (whose threads run one after another), a question's fact arrived in an earlier plant with the same value.
  const planted = new Map<string, Map<string, string>>();
  for (const c of calls) {
    const mine = planted.get(c.user_id) ?? new Map<string, string>();
    planted.set(c.user_id, mine);
    const key = c.eval?.golden_facts?.[0];
    if (key !== undefined) assert.is(mine.get(key), c.eval!.golden_answer, `${c.message_id} asks ${key} before it was planted`);
    for (const k of c.eval?.plants ?? []) {
      const value = report.planted.find((p) => p.message_id === c.message_id)!.value;
      assert.ok(c.message.includes(value), 'a plant states its value');
      mine.set(k, value);
    }
  }
  // The planted list names user, thread, key, value and the turn.
  const p0 = report.planted[0]!;
  assert.ok(p0.user_id.startsWith('emu-s2024-u') && p0.thread_id.startsWith('emu-s2024-t') && p0.fact_key.includes('.') && p0.run_id.startsWith('run-'));
  assert.is(calls.find((c) => c.message_id === p0.message_id)!.message_id, `${p0.thread_id}-m${String(p0.turn).padStart(3, '0')}`);
});

test('deterministic: same seed → identical requests per thread and identical report, concurrency 1 vs 8 with random response delays', async () => {
  for (const mode of ['remember', 'thread-only'] as const) {
    const a = await run({ mode, delaySeed: 1 }, { concurrency: 1 });
    const b = await run({ mode, delaySeed: 99 }, { concurrency: 8 });
    assert.equal(stable(b.report), stable(a.report), `${mode}: reports differ`);
    assert.equal(byThread(b.calls), byThread(a.calls), `${mode}: per-thread request sequences differ`);
    // The interleaving really was different: determinism does not come from identical scheduling.
    assert.not.equal(b.calls.map((c) => c.message_id), a.calls.map((c) => c.message_id));
  }
  const other = await run({ mode: 'remember' }, { seed: 2025 });
  const first = await run({ mode: 'remember' });
  assert.not.equal(other.calls.map((c) => c.message), first.calls.map((c) => c.message), 'another seed, another run');
});

test('follow-ups depend on the answers: "I don\'t know." re-plants and re-asks; a thread-only memory fails only cross-thread questions', async () => {
  const good = await run({ mode: 'remember' });
  const unknown = await run({ mode: 'unknown' });
  const threadOnly = await run({ mode: 'thread-only' });
  assert.is(unknown.report.accuracy, 0);
  assert.is(unknown.report.answer_rate, 0);
  const kinds = (r: EmulatorReport): Set<string> => new Set(r.threads.flatMap((t) => t.transcript.map((e) => e.kind)));
  assert.ok(kinds(unknown.report).has('replant') && kinds(unknown.report).has('reask'));
  assert.not.ok(kinds(good.report).has('replant'));
  assert.ok(unknown.report.turns > good.report.turns);
  assert.ok(unknown.report.planted.some((p) => p.kind === 'replant'));
  assert.ok(unknown.report.questions.some((q) => q.kind === 'reask' && q.answer === "I don't know." && !q.correct));
  // Same plan, different answers: the first question of a thread is the same, what follows it is not.
  const g = byThread(good.calls);
  let diverged = 0;
  for (const [thread, calls] of byThread(unknown.calls)) {
    const firstQ = calls.findIndex((c) => c.eval?.golden_facts);
    if (firstQ < 0) continue;
    assert.equal(calls.slice(0, firstQ + 1), g.get(thread)!.slice(0, firstQ + 1));
    if (calls[firstQ + 1]?.message !== g.get(thread)![firstQ + 1]?.message) diverged++;
  }
  assert.ok(diverged > 20, `${diverged} threads diverged after their first question`);

  const t = threadOnly.report;
  assert.ok(t.accuracy > 0 && t.accuracy < 1);
  for (const q of t.questions) {
    if (q.kind === 'ask' && !q.cross_thread) assert.ok(q.correct, `${q.message_id}: an in-thread question is answered`);
    if (q.kind === 'ask' && q.cross_thread) assert.not.ok(q.correct, `${q.message_id}: a cross-thread question is not`);
    if (q.kind === 'reask') assert.ok(q.correct, 'the re-planted fact is then known in the thread');
  }
});

test('failed runs are counted and retried; a throwing chat is a failed run, not a crashed emulator', async () => {
  const throwOn = new Set(['emu-s2024-t0003-m001', 'emu-s2024-t0010-m000']);
  const { report } = await run({ mode: 'remember', failEvery: 7, throwOn });
  assert.ok(report.failed_runs > 10, `${report.failed_runs} failed`);
  assert.is(report.failed_runs, report.threads.reduce((n, t) => n + t.failed_runs, 0));
  const thrown = report.threads.flatMap((t) => t.transcript).filter((e) => throwOn.has(e.request.message_id!));
  assert.is(thrown.length, 2);
  for (const e of thrown) {
    assert.is(e.run_id, null);
    assert.is(e.status, 'FAILED');
    assert.match(e.error ?? '', /connection refused/);
  }
  assert.ok(report.threads.flatMap((t) => t.transcript).some((e) => e.kind === 'retry' && e.outcome !== 'failed'));
  // A question whose fact never got stored is flagged, so the Teacher can leave it out.
  for (const q of report.questions) if (q.outcome !== 'failed' && !q.correct) assert.not.ok(q.planted_before, `${q.message_id} was planted yet answered wrongly`);
});

test('report: written as JSON when asked; request tags are copied; an abort stops new turns', async () => {
  const reportPath = path.join(dir, 'nested', 'report.json');
  const { report, calls } = await run({ mode: 'remember' }, { dialogues: 12, reportPath, tags: { experiment_id: 'exp-1', variant: 'B', cycle_type: 'micro' }, label: 'tagged' });
  assert.equal(JSON.parse(fs.readFileSync(reportPath, 'utf8')), JSON.parse(JSON.stringify(report)));
  assert.ok(calls.every((c) => c.experiment_id === 'exp-1' && c.variant === 'B' && c.cycle_type === 'micro' && c.thread_id.startsWith('emu-tagged-')));
  assert.ok(Object.keys(report).indexOf('questions') < Object.keys(report).indexOf('threads'), 'stable key order');

  const controller = new AbortController();
  let seen = 0;
  const aborted = await run(
    { mode: 'remember', delaySeed: 5 },
    {
      signal: controller.signal,
      onTurn: () => {
        if (++seen === 30) controller.abort();
      },
    },
  );
  assert.ok(aborted.report.aborted);
  assert.ok(aborted.report.turns >= 30 && aborted.report.turns < 30 + 8, `${aborted.report.turns} turns`);
  assert.is(aborted.calls.length, aborted.report.turns);
});

async function rejects(p: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p();
  } catch (err) {
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable('expected a rejection');
}

test('options are checked', async () => {
  const f = fakeMaas({ mode: 'remember' });
  await rejects(() => runEmulator({ seed: 1.5, dialogues: 1, chat: f.chat }), /seed must be an integer/);
  await rejects(() => runEmulator({ seed: 1, dialogues: 1, chat: f.chat, concurrency: 0 }), /concurrency must be an integer/);
  const empty = await runEmulator({ seed: 1, dialogues: 0, chat: f.chat });
  assert.is(empty.dialogues, 0);
  assert.is(empty.accuracy, 0);
});

test.run();
