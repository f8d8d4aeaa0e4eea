/**
 * The MaaS process (pipeline + sensor) killed with SIGKILL in the middle of
 * an emulator run and started again on the same data: the sensor's history
 * holds every run that reached a terminal state on pipeline_runs exactly once.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withSensorDb } from '../../../operators/sensor/history.ts';
import { SchemaRegistry } from '../../../schemas/index.ts';
import { terminalRuns } from './helpers.ts';

const schemas = SchemaRegistry.load();
const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/maas-run.ts');

/** Runs the fixture; with `killAfterTurns`, SIGKILLs it once that many turns were answered. */
function runMaas(dataDir: string, killAfterTurns?: number): Promise<{ turns: number; killed: boolean; done: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dataDir, '21', '40'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let turns = 0;
    let done = false;
    let stderr = '';
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('turn ')) turns = Number(line.slice(5));
        if (line === 'done') done = true;
      }
      if (killAfterTurns !== undefined && turns >= killAfterTurns && child.exitCode === null) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ turns, killed: true, done });
      else if (code === 0) resolve({ turns, killed: false, done });
      else reject(new Error(`maas-run exited with ${code}: ${stderr}`));
    });
  });
}

test('killed mid-run and restarted: no sensor row lost or duplicated', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-kill-'));
  const first = await runMaas(dir, 120);
  assert.ok(first.killed && !first.done, 'the first process was killed mid-run');
  const second = await runMaas(dir);
  assert.ok(second.done, 'the second process finished the run');

  const terminal = new Set(terminalRuns(path.join(dir, 'log'), schemas).keys());
  const rows = await withSensorDb(path.join(dir, 'sensor.duckdb'), async (conn) =>
    (await conn.runAndReadAll('SELECT run_id, count(*) OVER (PARTITION BY run_id) AS copies FROM sensor_runs')).getRowObjectsJS(),
  );
  const sensorIds = new Set(rows.map((r) => String(r.run_id)));
  assert.ok(rows.every((r) => Number(r.copies) === 1), 'no run twice');
  assert.ok(terminal.size >= second.turns, `every turn of the finished run is a run (${terminal.size} runs, ${second.turns} turns)`);
  assert.equal([...terminal].filter((id) => !sensorIds.has(id)), [], 'no finished run is missing from the sensor');
  assert.equal([...sensorIds].filter((id) => !terminal.has(id)), [], 'no sensor row without its run');
  fs.rmSync(dir, { recursive: true, force: true });
});

test.run();
