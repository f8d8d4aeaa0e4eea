/**
 * node-llama-cpp adapter: a GGUF text-generation model behind LoadedGenerator.
 *
 * - The GGUF metadata is validated first (models/gguf/validate.ts): some bad
 *   files make llama.cpp abort the whole process, so a file that fails the
 *   checks never reaches it.
 * - One Llama instance per GPU setting is shared by the process (the native
 *   backend loads once); `build: 'never'` keeps to the prebuilt binary.
 * - One context per model with `sequences` independent sequences; each
 *   generation clears its sequence first and runs a raw completion (no chat
 *   template). Two generations on one sequence at once give silently wrong
 *   output in node-llama-cpp, so a second one on a busy sequence is refused
 *   ('INFERENCE_BUSY'): the inference operator schedules sequences.
 * - Generation uses the sequence's evaluate() loop rather than
 *   LlamaCompletion, which (3.21) trims the prompt's leading space, drops the
 *   response's first space, applies a repeat penalty even at temperature 0,
 *   matches stop strings token by token without their spaces (" jumps" never
 *   stops a SentencePiece model) and silently cuts prompts that do not fit.
 *   Here the prompt is tokenized as llama.cpp's server does (BOS + text),
 *   the text is the exact continuation (prompt + text reads right), stop
 *   strings are matched on that text, and a prompt that does not fit is an
 *   error ('REQUEST_INVALID').
 * - temperature 0 is plain greedy decoding, so the same prompt gives the
 *   same text on any sequence.
 */
import { getLlama, LlamaLogLevel, LlamaVocabularyType, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from 'node-llama-cpp';
import { MaasflowError } from '../../engine/errors.ts';
import { assertValidGguf } from '../gguf/validate.ts';
import type { GenerateOptions, Generation, LoadedGenerator } from '../types.ts';

export interface LlamaCppOptions {
  /** Path of the .gguf file. */
  path: string;
  /** Context size of each sequence, in tokens. */
  contextLength: number;
  /** Independent sequences (parallel generations) in the one context (default 1). */
  sequences?: number;
  /** CPU threads for evaluation: set it to the cores meant for the model (node-llama-cpp's default of 4 crawls on 2 cores). */
  threads: number;
  /** 'auto' uses a GPU when the prebuilt binaries have one; false (default) stays on the CPU. */
  gpu?: 'auto' | false;
}

const LOG_LINES = 20;
/** Recent llama.cpp warnings and errors (quiet by default; quoted in load errors). */
const recentLogs: string[] = [];
let logCount = 0;
const llamas = new Map<string, Promise<Llama>>();

function sharedLlama(gpu: 'auto' | false): Promise<Llama> {
  const key = gpu === false ? 'cpu' : 'auto';
  let p = llamas.get(key);
  if (!p) {
    p = getLlama({
      gpu,
      build: 'never',
      logLevel: LlamaLogLevel.warn,
      logger(level, message) {
        if (level !== LlamaLogLevel.error && level !== LlamaLogLevel.fatal && level !== LlamaLogLevel.warn) return;
        const line = message.trim();
        if (!line) return;
        recentLogs.push(line);
        logCount++;
        if (recentLogs.length > LOG_LINES) recentLogs.shift();
      },
    }).catch((err: unknown) => {
      llamas.delete(key);
      throw new MaasflowError('MODEL_LOAD', `node-llama-cpp: no usable llama.cpp binary (gpu: ${String(gpu)}): ${(err as Error).message}`, { cause: err });
    });
    llamas.set(key, p);
  }
  return p;
}

/** llama.cpp log lines written since `mark` (a logCount), for error messages. */
function logsSince(mark: number): string {
  const fresh = Math.min(logCount - mark, recentLogs.length);
  return fresh > 0 ? ` (llama.cpp: ${recentLogs.slice(-fresh).join(' | ')})` : '';
}

function positiveInt(name: string, v: number, path: string): void {
  if (!Number.isInteger(v) || v < 1) throw new MaasflowError('CONFIG', `${path}: ${name} must be a positive integer, got ${v}`, { location: { file: path } });
}

/** Loads a GGUF model with node-llama-cpp: validated, one context with `sequences` sequences. */
export async function loadLlamaCpp(o: LlamaCppOptions): Promise<LoadedGenerator> {
  const nSeq = o.sequences ?? 1;
  positiveInt('contextLength', o.contextLength, o.path);
  positiveInt('sequences', nSeq, o.path);
  positiveInt('threads', o.threads, o.path);
  await assertValidGguf(o.path);

  const llama = await sharedLlama(o.gpu ?? false);
  const mark = logCount;
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: o.path });
  } catch (err) {
    throw new MaasflowError('MODEL_LOAD', `${o.path}: llama.cpp could not load the model: ${(err as Error).message}${logsSince(mark)}`, { location: { file: o.path }, cause: err });
  }
  let context: LlamaContext;
  try {
    context = await model.createContext({ contextSize: o.contextLength, sequences: nSeq, threads: o.threads });
  } catch (err) {
    await model.dispose();
    throw new MaasflowError('MODEL_LOAD', `${o.path}: llama.cpp could not create a context of ${nSeq} x ${o.contextLength} tokens: ${(err as Error).message}${logsSince(mark)}`, { location: { file: o.path }, cause: err });
  }
  // node-llama-cpp pads small contexts (128 becomes 256): hold generations to the length asked for.
  return new LlamaCppGenerator(o.path, model, context, nSeq, Math.min(o.contextLength, context.contextSize));
}

class LlamaCppGenerator implements LoadedGenerator {
  private readonly slots: { sequence: LlamaContextSequence; busy: boolean }[] = [];
  private unloaded: Promise<void> | null = null;
  /** The token a prompt starts with, or null. */
  private readonly bos: Token | null;

  constructor(
    private readonly path: string,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    readonly sequences: number,
    private readonly contextLength: number,
  ) {
    for (let i = 0; i < sequences; i++) {
      const sequence = context.getSequence();
      this.slots.push({ sequence, busy: false });
    }
    // As node-llama-cpp's LlamaCompletion decides (resolveBeginningTokenToPrepend).
    const t = model.tokens;
    const type = model.vocabularyType;
    const prepend = type !== LlamaVocabularyType.rwkv && type !== LlamaVocabularyType.ugm && (type === LlamaVocabularyType.wpm || t.shouldPrependBosToken);
    this.bos = prepend ? t.bos : null;
  }

  countTokens(text: string): number {
    this.ensureLoaded();
    return this.model.tokenize(text).length;
  }

  async generate(sequence: number, prompt: string, options: GenerateOptions): Promise<Generation> {
    this.ensureLoaded();
    const slot = this.slots[sequence];
    if (!slot) throw new MaasflowError('RUNTIME', `${this.path}: sequence ${sequence} does not exist (the model has ${this.sequences})`);
    if (slot.busy) throw new MaasflowError('INFERENCE_BUSY', `${this.path}: sequence ${sequence} is already generating (one generation per sequence at a time)`);
    const { signal } = options;
    if (signal?.aborted) throw signal.reason;

    // As llama.cpp's own server tokenizes a completion prompt: BOS (when the model wants it), then the text.
    const input = this.model.tokenize(prompt);
    if (this.bos !== null) input.unshift(this.bos);
    const contextSize = this.contextLength;
    if (input.length >= contextSize) {
      throw new MaasflowError('REQUEST_INVALID', `${this.path}: the prompt has ${input.length} tokens; a sequence holds ${contextSize} (contextLength), with room for at least one generated token`);
    }
    // No context shift: generation ends where the sequence's context does.
    const limit = Math.min(options.maxTokens, contextSize - input.length);
    if (limit < 1) return { text: '', promptTokens: input.length, completionTokens: 0 };
    const stops = (options.stop ?? []).filter((s) => s.length > 0);
    const longestStop = Math.max(0, ...stops.map((s) => s.length));

    slot.busy = true;
    try {
      await slot.sequence.clearHistory();
      if (signal?.aborted) throw signal.reason;
      const generated: Token[] = [];
      let text = '';
      const tokens = slot.sequence.evaluate(input, {
        temperature: options.temperature,
        ...(options.temperature > 0 && options.seed !== undefined ? { seed: options.seed } : {}),
      });
      for await (const token of tokens) {
        if (signal?.aborted) throw signal.reason;
        generated.push(token);
        // Detokenized as a whole, after the prompt: spacing and multi-byte characters come out right.
        const full = this.model.detokenize(generated, false, input);
        const stopAt = firstStop(full, stops, Math.max(0, text.length - longestStop - 4));
        if (stopAt >= 0) {
          text = full.slice(0, stopAt);
          break;
        }
        text = full;
        if (generated.length >= limit) break;
      }
      if (signal?.aborted) throw signal.reason;
      return { text, promptTokens: input.length, completionTokens: generated.length };
    } catch (err) {
      if (signal?.aborted && err === signal.reason) throw err;
      if (this.unloaded) throw new MaasflowError('RUNTIME', `${this.path}: the model was unloaded during generation`, { cause: err });
      throw new MaasflowError('RUNTIME', `${this.path}: generation on sequence ${sequence} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      slot.busy = false;
    }
  }

  unload(): Promise<void> {
    this.unloaded ??= (async () => {
      await this.context.dispose();
      await this.model.dispose();
    })();
    return this.unloaded;
  }

  private ensureLoaded(): void {
    if (this.unloaded) throw new MaasflowError('RUNTIME', `${this.path}: the model is unloaded`);
  }
}

/** Index of the earliest stop string in `text` at or after `from`, or -1. */
function firstStop(text: string, stops: readonly string[], from: number): number {
  let at = -1;
  for (const s of stops) {
    const i = text.indexOf(s, from);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}
