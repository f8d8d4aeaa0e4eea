/** What a client sends to the MaaS (POST /v1/chat body, or a record of the `requests` topic). */
export interface ChatRequest {
  user_id: string;
  thread_id: string;
  message: string;
  /** `real` (default) or `emulator`. */
  client_type?: 'real' | 'emulator';
  /** Client-chosen idempotency id of the message; the MaaS assigns one when absent. */
  message_id?: string;
  experiment_id?: string;
  variant?: string;
  cycle_type?: string;
  /**
   * Evaluation metadata, passed through untouched (the MaaS never reads it to answer):
   * `plants` tags the facts this message states; `golden_facts` / `golden_answer` say what a question should retrieve and answer.
   */
  eval?: { plants?: string[]; golden_facts?: string[]; golden_answer?: string };
}

export type RunStatus = 'COMPLETED' | 'FAILED';

/** What the MaaS answers (HTTP response body, or a record of the `responses` topic). */
export interface ChatResponse {
  run_id: string;
  thread_id: string;
  status: RunStatus;
  /** Null when the run failed. */
  answer: string | null;
  error?: string;
  /** Ids of the memories the answer drew on. */
  memories_used: string[];
  param_version: string;
}

/** The tunable impact factors one run reads (a parameter version; ranges in docs/IMPACTS.md). */
export interface MaasParams {
  top_k: number;
  relevance_weight: number;
  recency_weight: number;
  keyword_count: number;
  token_budget: number;
  system_prompt_version: string;
  temperature: number;
  /** Archivist: a candidate memory is kept when its importance score is at least this. */
  archivist_min_importance: number;
  /** Archivist: at most this many memories are written per message. */
  archivist_max_per_message: number;
}
