/**
 * What the model registry's adapters give the inference operator: loaded
 * models behind small interfaces, whatever the runtime (node-llama-cpp,
 * transformers.js, built-in).
 */

export interface GenerateOptions {
  maxTokens: number;
  /** 0 = greedy (deterministic). */
  temperature: number;
  /** Sampling seed (used when temperature > 0). */
  seed?: number;
  /** Generation stops at the first of these strings (not included in the text). */
  stop?: readonly string[];
  /** Aborts the generation; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface Generation {
  text: string;
  promptTokens: number;
  completionTokens: number;
}

/**
 * A loaded text-generation model. It has `sequences` independent context
 * sequences; at most one generation may run on a sequence at a time (two on
 * one sequence give silently wrong output): the inference operator schedules.
 */
export interface LoadedGenerator {
  readonly sequences: number;
  /** Tokens of `text` with this model's tokenizer. */
  countTokens(text: string): number;
  /** Generates a completion of `prompt` (raw text, no chat template) on sequence `sequence` (0-based), starting from an empty context. */
  generate(sequence: number, prompt: string, options: GenerateOptions): Promise<Generation>;
  unload(): Promise<void>;
}

/** A loaded embedding model. */
export interface LoadedEmbedder {
  readonly dim: number;
  /** One L2-normalised vector per text, in order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  unload(): Promise<void>;
}

/** A loaded classifier: per text, every label with its score, best first. */
export interface LoadedClassifier {
  readonly labels: readonly string[];
  classify(texts: readonly string[]): Promise<{ label: string; score: number }[][]>;
  unload(): Promise<void>;
}
