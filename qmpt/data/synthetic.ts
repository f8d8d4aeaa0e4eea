/**
 * A seeded generator of observations with a known truth: which patterns are
 * anomalous and which are reflexive. The examples, the benchmark and the
 * stream tests use it; it stands in for the seed's example datasets, which
 * cannot be downloaded here.
 *
 * Ordinary patterns write short operational sentences from one vocabulary;
 * anomalous ones write long, shouting, digit-heavy text from another;
 * reflexive ones talk about themselves in the first person with mental-state
 * verbs. Behaviour observations are 4 numbers around a per-layer centre,
 * shifted by 6 standard deviations for anomalous patterns.
 */
import { Rng } from '../random.ts';
import type { Observation } from '../types.ts';

export interface SyntheticOptions {
  seed: number;
  /** Patterns in all (default 60). */
  patterns?: number;
  /** Of them anomalous (default 3). */
  anomalous?: number;
  /** Of the ordinary ones reflexive (default 10). */
  reflexive?: number;
  layers?: readonly string[];
  /** Observations per pattern, drawn uniformly in [min, max] (default [4, 10]). */
  perPattern?: readonly [number, number];
  modalities?: readonly ('text' | 'behavior')[];
  /** Timestamps uniform in [start, start + span) seconds (default 0, 600). */
  start?: number;
  span?: number;
}

export interface SyntheticTruth {
  layer_id: string;
  anomalous: boolean;
  reflexive: boolean;
}

const SUBJECTS = ['the user', 'the client', 'the service', 'the request', 'the session', 'the order', 'the account', 'the report'];
const VERBS = ['asked about', 'updated', 'checked', 'closed', 'opened', 'confirmed', 'requested', 'reviewed'];
const OBJECTS = ['the delivery date', 'a refund', 'the invoice', 'the password', 'a new address', 'the subscription', 'the last payment', 'a support ticket'];
const SHOUT = ['CRITICAL', 'OVERRIDE', 'CHECKSUM', 'QUARANTINE', 'ZX-9000', 'UNDEFINED', 'SEGFAULT', 'KERNEL', 'PANIC', 'HEX'];
const SELF = ['I think', 'I feel that', 'I notice that', 'I realise that', 'I wonder whether', 'I believe'];
const SELF_OBJECTS = ['my answer was wrong', 'I repeat myself', 'my memory of this is vague', 'I understand myself better now', 'I keep coming back to my own words', 'my mind changed'];

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)]!;

function ordinaryText(rng: Rng): string {
  const n = 1 + rng.int(2);
  return Array.from({ length: n }, () => `${pick(rng, SUBJECTS)} ${pick(rng, VERBS)} ${pick(rng, OBJECTS)}.`)
    .join(' ')
    .replace(/^./, (c) => c.toUpperCase());
}

function anomalousText(rng: Rng): string {
  const words = Array.from({ length: 18 + rng.int(12) }, () => (rng.next() < 0.4 ? String(rng.int(1_000_000)) : pick(rng, SHOUT)));
  return `${words.join(' ')}!!! ${words.slice(0, 4).join('-')}???`;
}

function reflexiveText(rng: Rng): string {
  return `${pick(rng, SELF)} ${pick(rng, SELF_OBJECTS)}. ${pick(rng, SELF)} ${pick(rng, SELF_OBJECTS)}.`;
}

export function generateObservations(options: SyntheticOptions): { observations: Observation[]; truth: Map<string, SyntheticTruth> } {
  const { seed, patterns = 60, anomalous = 3, reflexive = 10, layers = ['L1', 'L2'], perPattern = [4, 10], modalities = ['text'], start = 0, span = 600 } = options;
  if (!Number.isInteger(patterns) || patterns < 1) throw new RangeError(`generateObservations: patterns = ${patterns} must be a positive integer`);
  if (!Number.isInteger(anomalous) || anomalous < 0 || !Number.isInteger(reflexive) || reflexive < 0 || anomalous + reflexive > patterns)
    throw new RangeError(`generateObservations: anomalous (${anomalous}) + reflexive (${reflexive}) must be non-negative integers summing to at most patterns (${patterns})`);
  if (layers.length === 0 || modalities.length === 0) throw new RangeError('generateObservations: layers and modalities must not be empty');
  const [lo, hi] = perPattern;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi < lo) throw new RangeError(`generateObservations: perPattern [${lo}, ${hi}] must be integers with 1 <= min <= max`);

  const rng = new Rng(seed);
  const truth = new Map<string, SyntheticTruth>();
  const observations: Observation[] = [];
  for (let p = 0; p < patterns; p++) {
    const kind = p < anomalous ? 'anomalous' : p < anomalous + reflexive ? 'reflexive' : 'ordinary';
    const patternId = kind === 'anomalous' ? `anom-${p + 1}` : `p-${p + 1}`;
    const layerIndex = p % layers.length;
    truth.set(patternId, { layer_id: layers[layerIndex]!, anomalous: kind === 'anomalous', reflexive: kind === 'reflexive' });
    const n = lo + rng.int(hi - lo + 1);
    for (let i = 0; i < n; i++) {
      const modality = modalities[i % modalities.length]!;
      const payload =
        modality === 'text' ? (kind === 'anomalous' ? anomalousText(rng) : kind === 'reflexive' ? reflexiveText(rng) : ordinaryText(rng))
        : Array.from({ length: 4 }, (_, j) => layerIndex * 2 + j * 0.5 + (kind === 'anomalous' ? 6 : 0) + rng.normal());
      observations.push({
        obs_id: `${patternId}-o${i + 1}`,
        pattern_id: patternId,
        layer_id: layers[layerIndex]!,
        timestamp: Math.round((start + rng.next() * span) * 1000) / 1000,
        modality,
        payload,
        tags: kind === 'ordinary' ? [] : [kind],
      });
    }
  }
  // the order a stream would see them in: by time, ties by id
  observations.sort((a, b) => a.timestamp - b.timestamp || (a.obs_id < b.obs_id ? -1 : a.obs_id > b.obs_id ? 1 : 0));
  return { observations, truth };
}
