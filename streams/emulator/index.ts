/** The User Emulator: seeded synthetic users holding multi-turn dialogues with the MaaS (SPEC "Self-learning"). */
export { runEmulator, type ChatFn, type EmulatorOptions, type TurnEvent } from './emulator.ts';
export { loadPersonas, loadScenarios, parsePersonas, parseScenarios, DEFAULT_PERSONAS_FILE, DEFAULT_SCENARIOS_FILE } from './config.ts';
export type { PersonasConfig, ScenariosConfig, PersonaSpec, ScenarioSpec, FactSpec, FollowUps } from './config.ts';
export { Dialogue, type Turn, type TurnKind, type AnswerOutcome, type RequestTags } from './dialogue.ts';
export { planRun, type RunPlan, type ThreadPlan, type PersonaInstance, type FactInstance } from './plan.ts';
export { writeReport, type EmulatorReport, type PlantedFact, type QuestionRecord, type ThreadSummary, type TranscriptEntry } from './report.ts';
export { containsAnswer, isUnknownAnswer } from './text.ts';
