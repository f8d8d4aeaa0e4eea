// The qmpt-score operator's throughput (bench/qmpt.ts runs it after its GMM rows):
//
//   qmpt.stream.score             observations per CPU second (per core, CONVENTIONS.md)
//                                 through the operator in the engine (TopologyTestDriver:
//                                 the engine's operator wiring, stores and port collectors)
//                                 in batches of 4,096 (the runtime's default batch size),
//                                 on BENCH_QMPT_STREAM synthetic text observations
//                                 (default ~24k), shipped config (metrics_default), no
//                                 refit; not timed: the warmup fit (256) and the first
//                                 batch after it (JIT and a new pool's workers warm up)
//   qmpt.stream.score.pool2       the same, scoring in the operator's 2-worker pool
//   qmpt.stream.score.refit5000   the same as the first with the shipped refit_every
//                                 5000 (four refits, on the 4,096-row reservoir, timed)
//
// Baseline: a raw loop doing the same work on the same batches without the
// engine: validateObservation, FeatureSpec.transform, per observation the
// reflexivity update and the running mean row, AnomalyEstimator.batchScore of
// the rows and (with the pattern reference) of the means, the output records;
// with the spec and estimators of the same warmup fit. ratio = operator / raw loop (no refit in the loop).
// Median of BENCH_REPEATS repeats, in ABBA order.
import { TopologyTestDriver } from '../engine/test-driver.ts';
import { loadConfig } from '../qmpt/config/loader.ts';
import { validateObservation } from '../qmpt/data/models.ts';
import { generateObservations } from '../qmpt/data/synthetic.ts';
import { featureSpecFromConfig } from '../qmpt/features/registry.ts';
import { matrix } from '../qmpt/matrix.ts';
import { AnomalyEstimator } from '../qmpt/metrics/anomaly.ts';
import { patternFeatures } from '../qmpt/features/pattern-features.ts';
import { fitPatternReference, patternMeans } from '../operators/qmpt/score-state.ts';
import { ReflexivityEstimator, type ReflexivityState } from '../qmpt/metrics/reflexivity.ts';
import type { Observation } from '../qmpt/types.ts';
import type { BenchRow } from './result.ts';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const OBSERVATIONS = Number(process.env.BENCH_QMPT_STREAM ?? 24_000);
const BATCH = 4096;
const WARMUP = 256;

interface Variant {
  name: string;
  params: Record<string, unknown>;
}

const VARIANTS: Variant[] = [
  { name: 'qmpt.stream.score', params: { refit_every: 0 } },
  { name: 'qmpt.stream.score.pool2', params: { refit_every: 0, threads: 2 } },
  { name: 'qmpt.stream.score.refit5000', params: { refit_every: 5000 } },
];

export async function streamScoring(): Promise<BenchRow[]> {
  // ~7 observations per pattern: patterns for about OBSERVATIONS of them
  const { observations } = generateObservations({ seed: 2026, patterns: Math.ceil(OBSERVATIONS / 7), anomalous: 20, reflexive: 200 });
  // the first fit's set, then one batch that warms up the code (and a pool's workers), then the timed rest
  const warmup = observations.slice(0, WARMUP + BATCH);
  const timed = observations.slice(WARMUP + BATCH);
  console.log(`stream: ${timed.length} observations timed after ${warmup.length} (the warmup fit and one batch), batches of ${BATCH}`);
  const results = new Map<string, Rate[]>([['raw', []], ...VARIANTS.map((v) => [v.name, []] as [string, Rate[]])]);
  const runners: [string, () => Promise<Rate>][] = [['raw', () => rawLoop(warmup, timed)], ...VARIANTS.map((v) => [v.name, () => operator(v.params, warmup, timed)] as [string, () => Promise<Rate>])];
  for (const [, runOnce] of runners) await runOnce(); // JIT warm-up
  for (let r = 0; r < REPEATS; r++) {
    for (const [name, runOnce] of r % 2 === 0 ? runners : [...runners].reverse()) results.get(name)!.push(await runOnce());
  }
  const report = (name: string, label: string): number => {
    const rates = results.get(name)!;
    console.log(`${label}: ${spread(rates.map((x) => x.cpu))} obs/CPU-s; ${Math.round(median(rates.map((x) => x.wall)))} obs/wall-s (median)`);
    return median(rates.map((x) => x.cpu));
  };
  const raw = report('raw', 'raw loop');
  return VARIANTS.map((v) => {
    const value = report(v.name, v.name);
    return {
      name: v.name,
      unit: 'obs/s/core',
      value: Math.round(value),
      baseline: 'raw loop: validate + transform + reflexivity + batchScore, no engine',
      baselineValue: Math.round(raw),
      ratio: Math.round((value / raw) * 1000) / 1000,
    };
  });
}

/** Observations per CPU second of the process (workers included) and per wall second. */
interface Rate {
  cpu: number;
  wall: number;
}

function rate(n: number, cpu0: NodeJS.CpuUsage, wall0: number): Rate {
  const cpu = process.cpuUsage(cpu0);
  return { cpu: n / ((cpu.user + cpu.system) / 1e6), wall: n / ((performance.now() - wall0) / 1000) };
}

/** The rate of `timed` through the operator, after a warmup fit that is not timed. */
async function operator(params: Record<string, unknown>, warmup: readonly Observation[], timed: readonly Observation[]): Promise<Rate> {
  const d = await TopologyTestDriver.create([{ id: 'score', type: 'qmpt-score', input: 'in', params: { ...params, warmup: WARMUP } }]);
  let wm = 0;
  const feed = async (values: readonly Observation[]): Promise<void> => {
    for (let i = 0; i < values.length; i += BATCH) {
      const mark = ++wm;
      d.push('in', values.slice(i, i + BATCH).map((o) => ({ value: o, timestamp: o.timestamp * 1000 })), mark);
      // the driver has no completion event: look again every millisecond (a sleeping wait costs no CPU)
      while (d.emittedWatermarks('score').at(-1) !== mark) await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  await feed(warmup.slice(0, WARMUP));
  await feed(warmup.slice(WARMUP));
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  await feed(timed);
  const measured = rate(timed.length, cpu0, wall0);
  const scored = d.output('score').length - warmup.length;
  if (scored !== timed.length) throw new Error(`qmpt stream bench: ${scored} of ${timed.length} observations scored`);
  return measured;
}

/** The same work by hand on the same batches: the engine's share is what the operator costs beyond it. */
async function rawLoop(warmup: readonly Observation[], timed: readonly Observation[]): Promise<Rate> {
  const config = loadConfig('metrics_default');
  const spec = featureSpecFromConfig(config.features);
  const first = warmup.slice(0, WARMUP);
  const Xw = await spec.fitTransform(first);
  const estimator = await AnomalyEstimator.fit(Xw, config.metrics.anomaly);
  const warmupMeans = [...patternFeatures(first, Xw)].map(([id, mean]) => [id, { sum: mean, count: 1 }] as [string, { sum: Float64Array; count: number }]);
  const patternEstimator = await fitPatternReference(patternMeans(warmupMeans, Xw.cols), config.metrics.anomaly, {});
  const reflexivity = new ReflexivityEstimator(config.metrics.reflexivity);
  const patterns = new Map<string, { state: ReflexivityState; sum: Float64Array; count: number }>();
  const out: unknown[] = [];
  const step = async (observations: readonly Observation[]): Promise<void> => {
    for (let start = 0; start < observations.length; start += BATCH) await scoreBatch(observations.slice(start, start + BATCH));
  };
  // the warmup set is scored too (as the operator does), then the warm-up batch, untimed
  await step(warmup.slice(0, WARMUP));
  await step(warmup.slice(WARMUP));
  out.length = 0;
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  await step(timed);
  const measured = rate(timed.length, cpu0, wall0);
  if (out.length !== timed.length) throw new Error('qmpt stream bench: the raw loop lost observations');
  return measured;

  async function scoreBatch(observations: readonly Observation[]): Promise<void> {
    const batch = observations.map((o) => validateObservation(o, `observation ${o.obs_id}`));
    const X = await spec.transform(batch);
    const d = X.cols;
    const n = batch.length;
    const Z = matrix(2 * n, d);
    Z.data.set(X.data);
    const details = batch.map((o, i) => {
      let p = patterns.get(o.pattern_id);
      if (!p) patterns.set(o.pattern_id, (p = { state: reflexivity.initialState(), sum: new Float64Array(d), count: 0 }));
      const row = X.data.subarray(i * d, (i + 1) * d);
      reflexivity.update(p.state, o, row);
      p.count++;
      for (let j = 0; j < d; j++) {
        p.sum[j] += row[j]!;
        Z.data[(n + i) * d + j] = p.sum[j]! / p.count;
      }
      return reflexivity.detail(p.state);
    });
    const s = estimator.batchScore(matrix(n, d, Z.data.subarray(0, n * d)));
    const ps = patternEstimator?.batchScore(matrix(n, d, Z.data.subarray(n * d))) ?? null;
    batch.forEach((o, i) => {
      const r = details[i]!;
      out.push({ obs_id: o.obs_id, pattern_id: o.pattern_id, anomaly: s.anomaly[i], rarity: s.rarity[i], distance: s.distance[i], isolation: s.isolation[i], pattern_anomaly: ps ? ps.anomaly[i] : null, reflexivity: r.value, r_text: r.r_text, r_dyn: r.r_dyn, degraded: r.degraded });
    });
  }
}

function spread(xs: number[]): string {
  return `${Math.round(Math.min(...xs))}/${Math.round(median(xs))}/${Math.round(Math.max(...xs))} (min/median/max)`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
