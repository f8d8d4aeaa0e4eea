import type { OperatorDefinition } from './definition.ts';
import { aggregateOperator } from './core/aggregate.ts';
import { branchOperator } from './core/branch.ts';
import { filterOperator } from './core/filter.ts';
import { flatMapOperator } from './core/flat-map.ts';
import { joinOperator } from './core/join.ts';
import { keyByOperator } from './core/key-by.ts';
import { mapOperator } from './core/map.ts';
import { mergeOperator } from './core/merge.ts';
import { sessionWindowOperator } from './core/session-window.ts';
import { windowOperator } from './core/window.ts';
import { sensorOperator } from './sensor/sensor.ts';
import { degradationOperator } from './control/degradation.ts';
import { MAAS_OPERATORS } from './maas/pipeline.ts';
import { inferenceOperator } from './inference/inference-operator.ts';
import { qmptScoreOperator } from './qmpt/score.ts';

/** Every operator type a topology file may name. Later stages (MaaS, stats, QMPT) register here. */
const operators = new Map<string, OperatorDefinition>();

export function registerOperator(def: OperatorDefinition): void {
  if (operators.has(def.type)) throw new Error(`operator type "${def.type}" is registered twice`);
  operators.set(def.type, def);
}

export function operatorDefinition(type: string): OperatorDefinition | undefined {
  return operators.get(type);
}

export function operatorTypes(): string[] {
  return [...operators.keys()].sort();
}

for (const def of [mapOperator, filterOperator, flatMapOperator, keyByOperator, branchOperator, mergeOperator, aggregateOperator, windowOperator, sessionWindowOperator, joinOperator, sensorOperator, degradationOperator, inferenceOperator, qmptScoreOperator, ...MAAS_OPERATORS]) {
  registerOperator(def);
}
