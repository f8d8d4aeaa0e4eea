/** A pipeline state as it appears in `maas.PipelineRunEvent` (schemas/maas/PipelineRunEvent.v1.avsc). */
export type PipelineState = 'NEW' | 'ANALYZING' | 'ANALYZED' | 'ASSEMBLING' | 'READY' | 'RESPONDING' | 'COMPLETED' | 'FAILED';

/** One state transition of a run: a record of `pipeline_runs` decoded with `maas.PipelineRunEvent@1`. */
export interface PipelineRunEvent {
  run_id: string;
  seq: number;
  state: PipelineState;
  at: number;
  thread_id: string;
  user_id: string;
  client_type: string;
  param_version: string;
  experiment_id: string | null;
  variant: string | null;
  cycle_type: string | null;
  attempt: number;
  reason: string | null;
  model_id: string | null;
  prompt_template_hash: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  stage_latency_ms: number;
  keywords: string[];
  memories_found: number;
  memories_retrieved: number;
  memories_used: number;
  retrieved_memory_ids: string[];
  retrieved_fact_keys: string[];
  golden_fact_keys: string[];
  golden_answer: string | null;
  answer: string | null;
}
