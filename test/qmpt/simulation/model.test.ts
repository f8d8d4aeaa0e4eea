/** The update F of stress_protection_v1 (docs/QMPT.md §7), its parameters and the model registry. */
import { expectThrows } from '../../support/errors.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  layerModel,
  layerModelIds,
  registerLayerModel,
  resolveStressProtectionParams,
  stressProtectionDrive,
  stressProtectionUpdate,
  STRESS_PROTECTION_DEFAULTS,
  type ActivePatterns,
} from '../../../qmpt/simulation/model.ts';

function patterns(anomaly: number[], reflexivity: number[]): ActivePatterns {
  return { ids: anomaly.map((_, i) => `p${i}`), anomaly: Float64Array.from(anomaly), reflexivity: Float64Array.from(reflexivity) };
}

const fails = (run: () => unknown, includes: string[], path?: string): void => void expectThrows(run, path === undefined ? { includes } : { includes, path });

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('one step with noise 0, every term by hand', () => {
  const p = resolveStressProtectionParams({ noise: 0 });
  // Â = 0.9, 0.3, 0.95 with τ = 0.8, γ = 0.6: e = 0.3, 0, 0.45
  // L = 1 − 0.7·1·0.55 = 0.615; R̄_e = (0.3·0.2 + 0.45·0.5)/0.75 = 0.38; L_eff = 0.615·(1 − 0.5·0.38) = 0.49815
  const drive = stressProtectionDrive(patterns([0.9, 0.3, 0.95], [0.2, 0.4, 0.5]), p);
  close(drive.load, 0.49815, 'L_eff');
  close(drive.meanReflexivity, 1.1 / 3, 'R̄');
  assert.is(drive.nPatterns, 3);
  assert.is(drive.nAnomalous, 2);
  const next = stressProtectionUpdate({ stress: 0.3, protection: 0.7, coherence: 0.4 }, drive, p, 0.1, 0.123);
  // σ: 0.3 + (0.8·0.49815·0.7 − 0.5·0.7·0.3)·0.1 = 0.3 + (0.278964 − 0.105)·0.1
  close(next.stress, 0.3173964, 'σ');
  // P: 0.7 + (0.2·(0.8 − 0.7) − 0.4·0.3·0.7)·0.1 = 0.7 + (0.02 − 0.084)·0.1
  close(next.protection, 0.6936, 'P');
  // c: 0.4 + 0.3·(0.7·(0.5 + 0.5·1.1/3) − 0.4)·0.1
  close(next.coherence, 0.4 + 0.03 * (0.7 * (0.5 + 1.1 / 6) - 0.4), 'c');
});

test('the noise term is η √Δt ξ, added to σ only', () => {
  const p = resolveStressProtectionParams({ noise: 0.02 });
  const drive = stressProtectionDrive(patterns([0.9], [0.3]), p);
  const s = { stress: 0.5, protection: 0.6, coherence: 0.5 };
  const a = stressProtectionUpdate(s, drive, p, 0.25, 0);
  const b = stressProtectionUpdate(s, drive, p, 0.25, 1.5);
  close(b.stress - a.stress, 0.02 * 0.5 * 1.5, 'noise');
  assert.is(b.protection, a.protection);
  assert.is(b.coherence, a.coherence);
});

test('the load: 0 without anomalies, saturating with several, Â = τ anomalous but no excess', () => {
  const p = resolveStressProtectionParams({});
  assert.equal(stressProtectionDrive(patterns([], []), p), { load: 0, meanReflexivity: 0, nPatterns: 0, nAnomalous: 0 });
  const none = stressProtectionDrive(patterns([0.5, 0.79], [0.2, 0.2]), p);
  assert.is(none.load, 0);
  const atTau = stressProtectionDrive(patterns([0.8], [0.2]), p);
  assert.is(atTau.load, 0);
  assert.is(atTau.nAnomalous, 1);
  // eᵢ = 0.6 each (Â = 1, ρ = 0): L = 1 − 0.4ⁿ
  const q = resolveStressProtectionParams({ rho: 0 });
  for (const n of [1, 2, 5]) close(stressProtectionDrive(patterns(new Array(n).fill(1), new Array(n).fill(0.5)), q).load, 1 - 0.4 ** n, `n = ${n}`);
});

test('reflexivity of the anomalies damps the load; ordinary patterns do not weigh in R̄_e', () => {
  const p = resolveStressProtectionParams({});
  const low = stressProtectionDrive(patterns([0.9], [0.1]), p).load;
  const high = stressProtectionDrive(patterns([0.9], [0.9]), p).load;
  assert.ok(high < low);
  close(high / low, (1 - 0.5 * 0.9) / (1 - 0.5 * 0.1), 'damping ratio');
  const withOrdinary = stressProtectionDrive(patterns([0.9, 0.3], [0.1, 1]), p).load;
  close(withOrdinary, low, 'ordinary pattern leaves L_eff');
});

test('σ, P and c stay in [0, 1]', () => {
  const p = resolveStressProtectionParams({ noise: 1, k_recover: 50, k_erode: 50 });
  const drive = stressProtectionDrive(patterns([1], [0]), p);
  const up = stressProtectionUpdate({ stress: 0.99, protection: 0.99, coherence: 0.99 }, drive, p, 1, 5);
  const down = stressProtectionUpdate({ stress: 0.01, protection: 0.99, coherence: 0.01 }, drive, p, 1, -5);
  for (const s of [up, down]) for (const v of [s.stress, s.protection, s.coherence]) assert.ok(v >= 0 && v <= 1, String(v));
  assert.is(up.stress, 1);
  assert.is(down.stress, 0);
});

test('params: defaults, overrides, unknown key listing the known ones, ranges', () => {
  assert.equal(resolveStressProtectionParams(undefined), { ...STRESS_PROTECTION_DEFAULTS });
  assert.is(resolveStressProtectionParams({ tau: 0.5 }).tau, 0.5);
  fails(() => resolveStressProtectionParams({ k_lod: 1 }), ['simulation.params.k_lod', 'known: k_load, k_relax'], 'simulation.params.k_lod');
  fails(() => resolveStressProtectionParams({ tau: 1 }), ['simulation.params.tau', '[0, 1)']);
  fails(() => resolveStressProtectionParams({ k_relax: -0.1 }), ['simulation.params.k_relax', '>= 0']);
  fails(() => resolveStressProtectionParams({ noise: -1 }), ['simulation.params.noise']);
  fails(() => resolveStressProtectionParams({ gamma: 1.5 }), ['simulation.params.gamma', '[0, 1]']);
  fails(() => resolveStressProtectionParams({ initial_stress: -0.1 }), ['simulation.params.initial_stress']);
  fails(() => resolveStressProtectionParams({ rho: Number.NaN }), ['simulation.params.rho', 'finite']);
  fails(() => resolveStressProtectionParams({ k_coh: '1' } as unknown as Record<string, number>), ['simulation.params.k_coh', 'finite']);
  fails(() => resolveStressProtectionParams({ strained: 0.8, critical: 0.7 }), ['simulation.params.strained', 'critical']);
});

test('registry: the built-in model, unknown ids listed, duplicates refused', () => {
  assert.ok(layerModelIds().includes('stress_protection_v1'));
  const m = layerModel('stress_protection_v1');
  const params = m.resolveParams({ initial_stress: 0.2 });
  assert.equal(m.initialState(params), { stress: 0.2, protection: 0.8, coherence: 0.5 });
  fails(() => layerModel('nope'), ['simulation.model_id', '"nope"', 'known: stress_protection_v1'], 'simulation.model_id');
  fails(() => registerLayerModel(m), ['already registered']);
});

test.run();
