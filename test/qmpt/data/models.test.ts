/** The QMPT data models: valid records come back typed with defaults; invalid ones fail naming where and the field. */
import { expectThrows } from '../../support/errors.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import {
  makeLayer,
  makeLayerState,
  makeObservation,
  makePattern,
  validateLayer,
  validateLayerState,
  validateObservation,
  validatePattern,
} from '../../../qmpt/data/models.ts';

/** Asserts `fn` throws a MaasflowError of `code` whose message holds every fragment. */
const throwsWith = (fn: () => unknown, code: string, ...fragments: string[]): void => void expectThrows(fn, { code, includes: fragments });

const text = { obs_id: 'o1', pattern_id: 'p1', timestamp: 12.5, modality: 'text', payload: 'I think, therefore I am' };

test('an observation: defaults filled, a copy returned, every payload form accepted', () => {
  const o = validateObservation(text, 'here');
  assert.equal(o, { ...text, tags: [] });
  assert.is.not(o, text);
  assert.equal(validateObservation({ ...text, modality: 'eeg', payload: [1, -2.5, 0] }, 'x').payload, [1, -2.5, 0]);
  assert.equal(validateObservation({ ...text, modality: 'logits', payload: { alpha: 0.1, beta: 2 } }, 'x').payload, { alpha: 0.1, beta: 2 });
  assert.equal(validateObservation({ ...text, payload: '', tags: ['a', 'б'] }, 'x').tags, ['a', 'б']);
  assert.equal(makeObservation({ ...text, tags: undefined }), { ...text, tags: [] });
});

test('an observation error names where and the field', () => {
  throwsWith(() => validateObservation({ ...text, timestamp: '12' }, 'observations.jsonl:12'), 'RECORD_VALIDATE', 'observations.jsonl:12 /timestamp: must be number');
  throwsWith(() => validateObservation({ ...text, timestamp: Number.NaN }, 'w'), 'RECORD_VALIDATE', '/timestamp: must be a finite number, got NaN');
  throwsWith(() => validateObservation({ ...text, obs_id: '' }, 'w'), 'RECORD_VALIDATE', '/obs_id:');
  throwsWith(() => validateObservation({ ...text, modality: '' }, 'w'), 'RECORD_VALIDATE', '/modality:');
  throwsWith(() => validateObservation({ ...text, pattern_id: undefined }, 'w'), 'RECORD_VALIDATE', 'missing required field "pattern_id"');
  throwsWith(() => validateObservation({ ...text, extra: 1 }, 'w'), 'RECORD_VALIDATE', 'unknown field "extra"');
  throwsWith(() => validateObservation({ ...text, tags: [1] }, 'w'), 'RECORD_VALIDATE', '/tags/0:');
  throwsWith(() => validateObservation('a line', 'w'), 'RECORD_VALIDATE', 'w /: must be object');
});

test('the payload must fit the modality: text a string, other modalities finite numbers', () => {
  throwsWith(() => validateObservation({ ...text, payload: [1, 2] }, 'w'), 'RECORD_VALIDATE', '/payload: a "text" observation needs a string as payload, got an array');
  throwsWith(() => validateObservation({ ...text, modality: 'eeg', payload: 'x' }, 'w'), 'RECORD_VALIDATE', '/payload: a "eeg" observation needs a non-empty number[]');
  throwsWith(() => validateObservation({ ...text, modality: 'eeg', payload: null }, 'w'), 'RECORD_VALIDATE', 'got null');
  throwsWith(() => validateObservation({ ...text, modality: 'eeg', payload: [1, Infinity] }, 'w'), 'RECORD_VALIDATE', '/payload/1: must be a finite number, got Infinity');
  throwsWith(() => validateObservation({ ...text, modality: 'eeg', payload: [1, '2'] }, 'w'), 'RECORD_VALIDATE', '/payload/1: must be number');
  throwsWith(() => validateObservation({ ...text, modality: 'eeg', payload: { a: 1, b: 'x' } }, 'w'), 'RECORD_VALIDATE', '/payload/b: must be number');
  throwsWith(() => validateObservation({ ...text, modality: 'eeg', payload: [] }, 'w'), 'RECORD_VALIDATE', '/payload: must NOT have fewer than 1 items');
  throwsWith(() => validateObservation({ ...text, modality: 'eeg', payload: {} }, 'w'), 'RECORD_VALIDATE', '/payload: must NOT have fewer than 1 properties');
});

test('a pattern: defaults, scores in [0, 1] or null, finite features and components', () => {
  const p = makePattern({ pattern_id: 'p1', layer_id: 'L1' });
  assert.equal(p, { pattern_id: 'p1', layer_id: 'L1', metadata: {}, features: null, anomaly_score: null, reflexivity: null, self_operator: null, components: null, feature_spec_version: null, metrics_version: null });
  const full = { ...p, features: [0.5, -1], anomaly_score: 1, reflexivity: 0, self_operator: 0.3, components: { rarity: 0.2 }, feature_spec_version: 'text_v1#0011aabb', metrics_version: { anomaly: 'anomaly.v1#3f2a9c1e' } };
  assert.equal(validatePattern(full, 'w'), full);
  throwsWith(() => validatePattern({ ...full, anomaly_score: 1.5 }, 'patterns.jsonl:3'), 'RECORD_VALIDATE', 'patterns.jsonl:3 /anomaly_score: must be <= 1');
  throwsWith(() => validatePattern({ ...full, reflexivity: -0.1 }, 'w'), 'RECORD_VALIDATE', '/reflexivity: must be >= 0');
  throwsWith(() => validatePattern({ ...full, features: [1, Number.NaN] }, 'w'), 'RECORD_VALIDATE', '/features/1: must be a finite number');
  throwsWith(() => validatePattern({ ...full, components: { rarity: 'high' } }, 'w'), 'RECORD_VALIDATE', '/components/rarity:');
  throwsWith(() => validatePattern({ ...full, metrics_version: { anomaly: 3 } }, 'w'), 'RECORD_VALIDATE', '/metrics_version/anomaly:');
  throwsWith(() => validatePattern({ pattern_id: 'p', layer_id: '' }, 'w'), 'RECORD_VALIDATE', '/layer_id:');
  throwsWith(() => makePattern({ pattern_id: 'p', layer_id: 'L', self_operator: 2 }), 'RECORD_VALIDATE', 'makePattern("p") /self_operator: must be <= 1');
});

test('layers and layer states: defaults, score ranges, a trajectory in time order', () => {
  assert.equal(makeLayerState({ t: 0 }), { t: 0, stress: null, protection: null, macro_state: {} });
  const layer = makeLayer({ layer_id: 'L1', patterns: ['p1', 'p2'], state_trajectory: [{ t: 0, stress: 0.1 }, { t: 0.1, stress: 0.2, protection: 0.8, macro_state: { regime: 'stable' } }] });
  assert.equal(layer.description, '');
  assert.equal(layer.state_trajectory[0], { t: 0, stress: 0.1, protection: null, macro_state: {} });
  assert.equal(validateLayer(layer, 'w'), layer);
  throwsWith(() => validateLayerState({ t: 1, stress: 2 }, 'w'), 'RECORD_VALIDATE', 'w /stress: must be <= 1');
  throwsWith(() => validateLayer({ ...layer, patterns: ['p1', 'p1'] }, 'w'), 'RECORD_VALIDATE', '/patterns: must NOT have duplicate items');
  throwsWith(() => validateLayer({ ...layer, state_trajectory: [{ t: 0, protection: -1 }] }, 'w'), 'RECORD_VALIDATE', '/state_trajectory/0/protection: must be >= 0');
  throwsWith(() => validateLayer({ ...layer, state_trajectory: [{ t: 1 }, { t: 0.5 }] }, 'layers.jsonl:2'), 'RECORD_VALIDATE', 'layers.jsonl:2 /state_trajectory/1/t: 0.5 is before');
  throwsWith(() => validateLayer({ layer_id: 'L', state_trajectory: [{ t: 0, macro_state: [] }] }, 'w'), 'RECORD_VALIDATE', '/state_trajectory/0/macro_state: must be object');
});

test.run();
