/** The synthetic world, the Manager over it, and the grid search the loop is judged against. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Manager, type ManagerOptions } from '../../../control/manager/manager.ts';
import { DEFAULT_GOAL } from '../../../control/manager/goals.ts';
import { expectedEvaluation, poorParams } from '../../../control/world/closed-form.ts';
import { SyntheticWorld } from '../../../control/world/synthetic.ts';
import type { Goal } from '../../../control/types.ts';
import { DegradationMonitor } from '../../../operators/control/degradation-monitor.ts';
import { loadDegradationRules } from '../../../operators/control/degradation-rules.ts';
import type { MaasParams } from '../../../operators/maas/types.ts';

/** The deliberately poor version `npm start` starts from (config/params-poor.json). */
export const WORST: MaasParams = poorParams();

export const GOAL: Goal = { ...DEFAULT_GOAL, updated_at: 0 };

/** Expected Q of a version under the world's surface, and whether it is feasible. */
export function trueQ(params: MaasParams, goal: Goal = GOAL): { q: number; feasible: boolean } {
  const e = expectedEvaluation(goal, params);
  return { q: e.q!, feasible: e.feasible };
}

export async function openLoop(options: Partial<ManagerOptions> = {}, start: MaasParams = WORST): Promise<{ manager: Manager; world: SyntheticWorld; dir: string; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-loop-'));
  const paramsFile = path.join(dir, 'params.json');
  fs.writeFileSync(paramsFile, JSON.stringify({ version: 'start', params: start }));
  const world = await SyntheticWorld.open({ sensorFile: path.join(dir, 'sensor.duckdb'), paramsFile, watch: new DegradationMonitor(loadDegradationRules('config/degradation.yaml')) });
  let clock = Date.UTC(2026, 10, 1);
  const manager = await Manager.open({ world, controlFile: path.join(dir, 'control.duckdb'), autoApprove: true, runsPerArm: 600, microRuns: 400, seed: 7, now: () => (clock += 1000), ...options });
  return {
    manager,
    world,
    dir,
    async close() {
      await manager.close();
      await world.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
