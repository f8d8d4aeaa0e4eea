/**
 * Baseline agents for the Tuner env, and the episode loop that runs them:
 * a random walk over the ladders and a hill climber that keeps a move only
 * when the measured reward rose (and the version is feasible), undoing it
 * through the Tuner otherwise. Both draw every choice from their seed.
 */
import type { MaasParams } from '../../operators/maas/types.ts';
import { SplitMix32 } from '../../streams/nexmark/prng.ts';
import { move, type Factor } from '../manager/search-space.ts';
import { describeAction, type Action, type Observation, type StepResult, type TunerEnv } from './env.ts';

export interface Agent {
  readonly name: string;
  /** A new episode starts at `obs`; `factors` is the env's action space. */
  begin(obs: Observation, factors: readonly Factor[]): void;
  act(): Action;
  observe(action: Action, result: StepResult): void;
}

const STEPS = [-2, -1, 1, 2] as const;

/** Uniform over factor × {−2, −1, +1, +2} rungs; moves past a ladder end are refused by the env and cost a step. */
export function randomAgent(seed: number): Agent {
  const rng = new SplitMix32(seed);
  let factors: readonly Factor[] = [];
  return {
    name: 'random',
    begin(_obs, f) {
      factors = f;
    },
    act() {
      return { factor: factors[rng.nextInt(factors.length)]!, steps: STEPS[rng.nextInt(STEPS.length)]! };
    },
    observe() {},
  };
}

export interface HillClimbOptions {
  /** A move is kept when its reward beats the current point's by more than this (default 0). */
  minGain?: number;
}

/**
 * First-improvement hill climbing: tries the valid neighbouring moves of the
 * current point in a seeded random order; keeps one that raised the reward,
 * else rolls it back and tries the next. The current point's reward is the
 * mean of all its measurements (each rollback re-measures it), so one lucky
 * draw does not stay the bar for long.
 */
export function hillClimbAgent(seed: number, o: HillClimbOptions = {}): Agent {
  const rng = new SplitMix32(seed);
  const minGain = o.minGain ?? 0;
  let factors: readonly Factor[] = [];
  let state: MaasParams | null = null;
  let ref = { sum: 0, n: 0, feasible: false };
  let candidates: { factor: Factor; steps: number }[] = [];
  let undo = false;
  const reference = (): number => ref.sum / ref.n;
  const neighbours = (p: MaasParams): { factor: Factor; steps: number }[] => {
    const all = factors.flatMap((factor) => STEPS.filter((steps) => move(factor, p[factor], steps) !== null).map((steps) => ({ factor, steps })));
    // Fisher-Yates with the agent's generator: the order of tries is part of the seed
    for (let i = all.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    return all;
  };
  return {
    name: 'hill-climb',
    begin(obs, f) {
      factors = f;
      state = obs.state;
      ref = { sum: obs.reward, n: 1, feasible: obs.feasible };
      candidates = [];
      undo = false;
    },
    act() {
      if (undo) return { rollback: true };
      if (candidates.length === 0) candidates = neighbours(state!);
      return candidates.pop() ?? { rollback: true };
    },
    observe(action, r) {
      if ('rollback' in action) {
        undo = false;
        if (r.refused === null) {
          state = r.state;
          ref = { sum: ref.sum + r.reward, n: ref.n + 1, feasible: ref.feasible && r.feasible };
        }
        return;
      }
      if (r.refused !== null) return;
      // an infeasible version is never kept, whatever its Q (as the Manager does)
      if (r.feasible && (r.reward > reference() + minGain || !ref.feasible)) {
        state = r.state;
        ref = { sum: r.reward, n: 1, feasible: true };
        candidates = [];
      } else {
        undo = true;
      }
    },
  };
}

export interface TrajectoryStep {
  step: number;
  /** null for the start (the reset). */
  action: string | null;
  refused: string | null;
  version: string;
  state: MaasParams;
  reward: number;
  feasible: boolean;
}

export interface EpisodeResult {
  agent: string;
  seed: number;
  /** Reward of each step after the start (refused steps repeat the last). */
  rewards: number[];
  startReward: number;
  /** Best measured reward of a feasible version, start included (null when none was feasible). */
  bestReward: number | null;
  /** The step where it was measured, and that version's parameters. */
  best: { step: number; params: MaasParams } | null;
  refused: number;
  trajectory: TrajectoryStep[];
}

/** One episode: reset with `seed`, then up to `steps` steps (fewer if the env says done). */
export async function runEpisode(env: TunerEnv, agent: Agent, o: { seed: number; steps: number }): Promise<EpisodeResult> {
  const obs = await env.reset(o.seed);
  agent.begin(obs, env.factors);
  const trajectory: TrajectoryStep[] = [{ step: 0, action: null, refused: null, version: obs.version, state: obs.state, reward: obs.reward, feasible: obs.feasible }];
  for (let i = 0; i < o.steps; i++) {
    const action = agent.act();
    const r = await env.step(action);
    agent.observe(action, r);
    trajectory.push({ step: r.info.step, action: describeAction(action), refused: r.refused, version: r.info.version, state: r.state, reward: r.reward, feasible: r.feasible });
    if (r.done) break;
  }
  let best: TrajectoryStep | null = null;
  // refused steps repeat a measurement, they are not new ones
  for (const t of trajectory) if (t.feasible && t.refused === null && (best === null || t.reward > best.reward)) best = t;
  return {
    agent: agent.name,
    seed: o.seed,
    rewards: trajectory.slice(1).map((t) => t.reward),
    startReward: obs.reward,
    bestReward: best?.reward ?? null,
    best: best ? { step: best.step, params: best.state } : null,
    refused: trajectory.filter((t) => t.refused !== null).length,
    trajectory,
  };
}
