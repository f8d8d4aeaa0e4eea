/**
 * `maasflow gym`: baseline agents (random, hill-climb) against the Tuner env
 * on the synthetic world, next to the grid-search optimum; `maasflow
 * sensitivity`: the Morris ranking of each factor on the synthetic surface.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { hillClimbAgent, randomAgent, runEpisode, type Agent, type EpisodeResult } from '../../control/gym/agents.ts';
import { GYM_START, TunerEnv, expectedReward } from '../../control/gym/env.ts';
import { gridBest } from '../../control/world/closed-form.ts';
import { formatMorris, morrisRanking } from '../../control/gym/sensitivity-morris.ts';
import { DEFAULT_GOAL } from '../../control/manager/goals.ts';
import { LADDERS, type Factor } from '../../control/manager/search-space.ts';
import { expectedMetrics } from '../../control/world/surface.ts';
import { MaasflowError } from '../../engine/errors.ts';
import { DEFAULT_PARAMS } from '../../operators/maas/params.ts';
import type { MaasParams } from '../../operators/maas/types.ts';
import { parseCount, runCommand } from '../output.ts';

const AGENTS: Readonly<Record<string, (seed: number) => Agent>> = { random: randomAgent, 'hill-climb': hillClimbAgent };

interface GymFlags { agent: string; episodes: string; steps: string; seed: string; runs: string; jsonMetrics?: string }
interface SensitivityFlags { seed: string; trajectories: string; factors?: string; jsonMetrics?: string }

const f3 = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(3));
const mean = (xs: readonly number[]): number | null => (xs.length === 0 ? null : xs.reduce((s, x) => s + x, 0) / xs.length);

/** The given factors of a version as `name=value`. */
function changes(p: MaasParams, factors: readonly Factor[]): string {
  return factors.map((f) => `${f}=${p[f]}`).join(' ');
}

export function registerGymCommands(program: Command): void {
  program
    .command('gym')
    .description('run a baseline agent (random or hill-climb) on the Tuner env over the synthetic world; compare with the grid-search best')
    .option('--agent <name>', `agent: ${Object.keys(AGENTS).join(' | ')}`, 'hill-climb')
    .option('--episodes <n>', 'episodes (episode i uses seed S + i)', '3')
    .option('--steps <n>', 'steps per episode', '30')
    .option('--seed <n>', 'seed of the first episode', '1')
    .option('--runs <n>', 'simulated runs measured per step (below ~100 no version can show it meets the 1 % error-rate limit)', '200')
    .option('--json-metrics <path|->', 'write the metrics report')
    .action((f: GymFlags) =>
      runCommand('gym', f.jsonMetrics, async ({ print }) => {
        const make = AGENTS[f.agent];
        if (!make) throw new MaasflowError('CONFIG', `--agent must be one of ${Object.keys(AGENTS).join(', ')}, got "${f.agent}"`);
        const episodes = parseCount('episodes', f.episodes, 1, 1000);
        const steps = parseCount('steps', f.steps, 1, 10_000);
        const seed = parseCount('seed', f.seed, 0, 2 ** 31 - 1 - episodes);
        const runs = parseCount('runs', f.runs, 10, 100_000);
        const goal = DEFAULT_GOAL;
        const factors = goal.allowed_factors;
        print(`gym: ${f.agent} agent, ${episodes} episode(s) × ${steps} steps, ${runs} runs per step, seeds ${seed}..${seed + episodes - 1} (synthetic world, goal ${goal.id})\n`);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-gym-'));
        const env = await TunerEnv.open({ dir, goal, runsPerStep: runs, maxSteps: steps });
        const results: (EpisodeResult & { bestExpectedQ: number | null })[] = [];
        try {
          for (let e = 0; e < episodes; e++) {
            const r = await runEpisode(env, make(seed + e), { seed: seed + e, steps });
            const bestExpectedQ = r.best ? expectedReward(goal, r.best.params).q : null;
            results.push({ ...r, bestExpectedQ });
            const at = r.best ? ` at step ${r.best.step} (expected Q ${f3(bestExpectedQ)})` : ' (no feasible step)';
            print(`episode ${e + 1} (seed ${seed + e}): start ${f3(r.startReward)} → best reward ${f3(r.bestReward)}${at}; ${r.refused} refused\n`);
            if (r.best) print(`  best version: ${changes(r.best.params, factors)}\n`);
          }
        } finally {
          await env.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
        const grid = gridBest(goal, GYM_START, factors);
        const meanBest = mean(results.flatMap((r) => (r.bestReward === null ? [] : [r.bestReward])));
        const meanExpected = mean(results.flatMap((r) => (r.bestExpectedQ === null ? [] : [r.bestExpectedQ])));
        print(`mean best reward ${f3(meanBest)} (measured; its versions' expected Q ${f3(meanExpected)})\n`);
        print(`grid-search best: expected Q ${f3(grid.q)} over ${grid.points} points: ${changes(grid.params, factors)}\n`);
        return {
          agent: f.agent,
          seed,
          steps,
          runs_per_step: runs,
          episodes: results.map((r) => ({ seed: r.seed, start_reward: r.startReward, best_reward: r.bestReward, best_step: r.best?.step ?? null, best_expected_q: r.bestExpectedQ, best_params: r.best?.params ?? null, refused: r.refused, rewards: r.rewards })),
          mean_best_reward: meanBest,
          mean_best_expected_q: meanExpected,
          grid_best_q: grid.q,
          grid_points: grid.points,
        };
      }),
    );

  program
    .command('sensitivity')
    .description('Morris elementary-effects ranking of the impact factors on the synthetic surface, for Q of the default goal and each metric')
    .option('--seed <n>', 'seed of the trajectories', '1')
    .option('--trajectories <n>', 'Morris trajectories', '100')
    .option('--factors <list>', "comma-separated factors (default: the goal's allowed factors)")
    .option('--json-metrics <path|->', 'write the metrics report')
    .action((f: SensitivityFlags) =>
      runCommand('sensitivity', f.jsonMetrics, async ({ print }) => {
        const goal = DEFAULT_GOAL;
        const factors = f.factors ? parseFactors(f.factors) : goal.allowed_factors;
        const seed = parseCount('seed', f.seed, 0, 2 ** 31 - 1);
        const trajectories = parseCount('trajectories', f.trajectories, 2, 100_000);
        const rankings = morrisRanking(expectedMetrics, { base: DEFAULT_PARAMS, factors, seed, trajectories, goal });
        print(`Morris elementary effects on the synthetic surface (goal ${goal.id}): ${trajectories} trajectories, seed ${seed}; μ* = mean |EE| per unit of the normalised ladder\n`);
        for (const line of formatMorris(rankings[0]!)) print(`${line}\n`);
        print('top factors per metric (share of μ*):\n');
        for (const r of rankings.slice(1)) print(`  ${r.metric.padEnd(22)}${r.factors.slice(0, 3).map((x) => `${x.factor} ${(100 * x.share).toFixed(0)} %`).join(', ')}\n`);
        return { seed, trajectories, factors, rankings };
      }),
    );
}

function parseFactors(list: string): Factor[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = names.filter((n) => !Object.hasOwn(LADDERS, n));
  if (names.length === 0 || unknown.length > 0) throw new MaasflowError('CONFIG', `--factors: unknown factor(s) ${unknown.join(', ') || '(none given)'}; known: ${Object.keys(LADDERS).join(', ')}`);
  return names as Factor[];
}
