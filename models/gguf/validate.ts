/**
 * Validates a GGUF model before llama.cpp ever sees it. llama.cpp throws a
 * vague "Failed to load model" for most bad files, and for some it aborts the
 * whole process (GGML_ASSERT). Measured with node-llama-cpp 3.21.1 on a tiny
 * llama model, these abort:
 *   - `llama.feed_forward_length` or `llama.attention.head_count` missing or 0
 *   - `llama.block_count` 0 (or above 512)
 *   - `<arch>.rope.scaling.type` not one of none/linear/yarn/longrope
 *   - `<arch>.expert_used_count` above `<arch>.expert_count`
 *   - duplicate strings in `tokenizer.ggml.tokens`
 * and these fail to load with no useful message: a missing or wrongly typed
 * context/embedding length, block count, RMS epsilon, tokenizer model or
 * token list (llama.cpp wants exact types: u32 is not i32), a head count that
 * does not divide the embedding, a bad rope dimension count, tensors of the
 * wrong shape, a truncated file.
 *
 * Every problem is a MaasflowError 'MODEL_INVALID' whose message names the
 * file and the key (or tensor); `assertValidGguf` throws one error listing
 * them all (the individual errors are its `cause`, a ValidationErrors).
 */
import { MaasflowError, ValidationErrors } from '../../engine/errors.ts';
import { GGML_TYPES, type GgufEntry, type GgufFile, GgufValueType as T, ggufTypeName, readGguf } from './reader.ts';

const MAX_LAYERS = 512; // LLAMA_MAX_LAYERS
const MAX_EXPERTS = 1024; // LLAMA_MAX_EXPERTS
const MAX_TENSOR_NAME = 63; // GGML_MAX_NAME - 1
const ROPE_SCALING_TYPES = ['none', 'linear', 'yarn', 'longrope'];
/** Architectures checked in full (hparams and tensor shapes); others get the generic checks. */
const LLAMA_FAMILY = new Set(['llama']);
/**
 * Dense decoders whose every layer builds FFN and attention tensors from
 * `feed_forward_length` and `attention.head_count` (llama.cpp src/models/*.cpp):
 * without them llama.cpp aborts the process.
 */
const NEEDS_FF_AND_HEADS = new Set(['llama', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'gemma3', 'phi3', 'olmo2', 'smollm3', 'stablelm', 'starcoder2']);

/** Problems found in an already-read GGUF file (empty when it is fine to hand to llama.cpp). */
export function checkGguf(file: GgufFile): MaasflowError[] {
  const errors: MaasflowError[] = [];
  const fail = (what: string, message: string) =>
    errors.push(new MaasflowError('MODEL_INVALID', `${file.path}: ${message}`, { location: { file: file.path, path: what } }));
  const md = file.metadata;

  /** The entry if it has the wanted type; reports a missing (when required) or wrongly typed key. */
  const entry = (key: string, types: readonly number[], required: string | false): GgufEntry | undefined => {
    const e = md.get(key);
    if (!e) {
      if (required) fail(key, `metadata key '${key}' is missing (${required})`);
      return undefined;
    }
    if (!types.includes(e.type)) {
      fail(key, `metadata key '${key}' has type ${ggufTypeName(e.type)}, expected ${types.map(ggufTypeName).join(' or ')}`);
      return undefined;
    }
    return e;
  };
  const u32 = (key: string, required: string | false): number | undefined => entry(key, [T.UINT32], required)?.value as number | undefined;
  /** A u32, or a per-layer array of u32/i32 (llama.cpp's get_key_or_arr); returns every layer's value. */
  const u32OrArr = (key: string, layers: number, required: string | false): number[] | undefined => {
    const e = entry(key, [T.UINT32, T.ARRAY], required);
    if (!e) return undefined;
    if (e.type === T.UINT32) return new Array<number>(Math.max(layers, 1)).fill(e.value as number);
    const arr = e.value as unknown[];
    if ((e.itemType !== T.UINT32 && e.itemType !== T.INT32) || arr.length !== layers) {
      fail(key, `metadata key '${key}' is an array of ${arr.length} ${ggufTypeName(e.itemType ?? -1)}, expected a uint32 or an array of ${layers} (block count) uint32/int32`);
      return undefined;
    }
    return arr as number[];
  };

  const align = md.get('general.alignment');
  if (align && (align.type !== T.UINT32 || (align.value as number) === 0 || ((align.value as number) & ((align.value as number) - 1)) !== 0)) {
    fail('general.alignment', `metadata key 'general.alignment' must be a uint32 power of two, got ${ggufTypeName(align.type)} ${String(align.value)}`);
  }

  const arch = entry('general.architecture', [T.STRING], 'every model names its architecture')?.value as string | undefined;
  if (arch !== undefined && arch !== 'clip') checkHparams(arch);
  checkTokenizer();
  checkTensors();
  return errors;

  function checkHparams(arch: string): void {
    const full = LLAMA_FAMILY.has(arch);
    const dense = NEEDS_FF_AND_HEADS.has(arch);
    const before = errors.length;
    const req = `required for architecture '${arch}'`;
    const abort = `required for architecture '${arch}'; llama.cpp aborts the process without it`;
    const k = (s: string) => `${arch}.${s}`;
    u32(k('context_length'), req);
    const nEmbd = u32(k('embedding_length'), req);
    if (nEmbd === 0) fail(k('embedding_length'), `metadata key '${k('embedding_length')}' is 0`);
    const nLayer = u32(k('block_count'), req);
    if (nLayer !== undefined && (nLayer < 1 || nLayer > MAX_LAYERS)) {
      fail(k('block_count'), `metadata key '${k('block_count')}' is ${nLayer}, must be 1..${MAX_LAYERS} (llama.cpp aborts the process otherwise)`);
    }
    const layers = nLayer ?? 1;
    const nextn = u32(k('nextn_predict_layers'), false);
    if (nextn !== undefined && nLayer !== undefined && nextn > nLayer) fail(k('nextn_predict_layers'), `metadata key '${k('nextn_predict_layers')}' (${nextn}) exceeds the block count ${nLayer} (llama.cpp aborts the process)`);

    const ff = u32OrArr(k('feed_forward_length'), layers, dense ? abort : false);
    if (dense && ff && ff.some((v) => v < 1)) fail(k('feed_forward_length'), `metadata key '${k('feed_forward_length')}' is 0 (llama.cpp aborts the process)`);
    const heads = u32OrArr(k('attention.head_count'), layers, dense ? abort : false);
    if (dense && heads && heads.some((v) => v < 1)) fail(k('attention.head_count'), `metadata key '${k('attention.head_count')}' is 0 (llama.cpp aborts the process)`);
    const headsKv = u32OrArr(k('attention.head_count_kv'), layers, false);

    const ropeScaling = entry(k('rope.scaling.type'), [T.STRING], false)?.value as string | undefined;
    if (ropeScaling !== undefined && !ROPE_SCALING_TYPES.includes(ropeScaling)) {
      fail(k('rope.scaling.type'), `metadata key '${k('rope.scaling.type')}' is '${ropeScaling}', expected one of ${ROPE_SCALING_TYPES.join(', ')} (llama.cpp aborts the process otherwise)`);
    }
    const nExpert = u32(k('expert_count'), false) ?? 0;
    const used = u32OrArr(k('expert_used_count'), layers, false) ?? [0];
    const usedMax = Math.max(...used);
    if (nExpert > MAX_EXPERTS) fail(k('expert_count'), `metadata key '${k('expert_count')}' is ${nExpert}, at most ${MAX_EXPERTS} (llama.cpp aborts the process otherwise)`);
    if (usedMax > nExpert) fail(k('expert_used_count'), `metadata key '${k('expert_used_count')}' (${usedMax}) exceeds '${k('expert_count')}' (${nExpert}) (llama.cpp aborts the process)`);
    if (nExpert > 0 && usedMax === 0) fail(k('expert_used_count'), `metadata key '${k('expert_used_count')}' is missing or 0 while '${k('expert_count')}' is ${nExpert} (llama.cpp aborts the process)`);
    const groups = u32(k('expert_group_count'), false) ?? 0;
    const groupUsed = u32(k('expert_group_used_count'), false) ?? 0;
    if (groups > 0 && (nExpert === 0 || groups >= nExpert || (groups > 1 && (nExpert % groups !== 0 || groupUsed < 1 || groupUsed >= groups)))) {
      fail(k('expert_group_count'), `metadata keys '${k('expert_group_count')}' (${groups}) and '${k('expert_group_used_count')}' (${groupUsed}) do not fit '${k('expert_count')}' (${nExpert}) (llama.cpp aborts the process)`);
    }
    if (!full) return;

    entry(k('attention.layer_norm_rms_epsilon'), [T.FLOAT32], req);
    if (!nEmbd || !heads || heads.some((v) => v < 1)) return;
    const nHead = heads[0]!;
    const headDim = u32(k('attention.key_length'), false) ?? nEmbd / nHead;
    if (!Number.isInteger(headDim)) fail(k('attention.head_count'), `metadata key '${k('attention.head_count')}' (${nHead}) does not divide '${k('embedding_length')}' (${nEmbd})`);
    if (headsKv && headsKv.some((v, i) => v < 1 || (heads[i] ?? nHead) % v !== 0)) {
      fail(k('attention.head_count_kv'), `metadata key '${k('attention.head_count_kv')}' (${[...new Set(headsKv)].join(',')}) must be at least 1 and divide '${k('attention.head_count')}' (${nHead})`);
    }
    const rot = u32(k('rope.dimension_count'), false);
    if (rot !== undefined && Number.isInteger(headDim) && rot !== headDim) {
      fail(k('rope.dimension_count'), `metadata key '${k('rope.dimension_count')}' is ${rot}, expected the head size ${headDim}`);
    }
    // Tensor shapes follow from the hparams: only worth checking when those are sound.
    if (errors.length === before && ff && nLayer !== undefined && nExpert === 0) {
      checkLlamaTensors(nEmbd, nLayer, nHead * headDim, (headsKv?.[0] ?? nHead) * headDim, ff);
    }
  }

  function checkTokenizer(): void {
    const model = entry('tokenizer.ggml.model', [T.STRING], 'every model needs a tokenizer')?.value as string | undefined;
    if (model === 'no_vocab' || model === 'none') return;
    const tokens = entry('tokenizer.ggml.tokens', [T.ARRAY], 'the vocabulary')?.value as unknown[] | undefined;
    if (!tokens) return;
    if (md.get('tokenizer.ggml.tokens')!.itemType !== T.STRING) {
      fail('tokenizer.ggml.tokens', `metadata key 'tokenizer.ggml.tokens' must be an array of strings, got an array of ${ggufTypeName(md.get('tokenizer.ggml.tokens')!.itemType ?? -1)}`);
      return;
    }
    const seen = new Map<string, number>();
    for (let i = 0; i < tokens.length; i++) {
      const t = (tokens[i] as string) || `[EMPTY_${i}]`;
      const first = seen.get(t);
      if (first !== undefined) {
        fail('tokenizer.ggml.tokens', `metadata key 'tokenizer.ggml.tokens' holds ${JSON.stringify(t)} twice (ids ${first} and ${i}); llama.cpp aborts the process on duplicate tokens`);
        break;
      }
      seen.set(t, i);
    }
    const arr = (key: string, itemTypes: readonly number[]) => {
      const e = md.get(key);
      if (!e) return;
      if (e.type !== T.ARRAY || !itemTypes.includes(e.itemType ?? -1) || (e.value as unknown[]).length < tokens.length) {
        const got = e.type === T.ARRAY ? `an array of ${(e.value as unknown[]).length} ${ggufTypeName(e.itemType ?? -1)}` : ggufTypeName(e.type);
        fail(key, `metadata key '${key}' must be an array of at least ${tokens.length} (the vocabulary size) ${itemTypes.map(ggufTypeName).join('/')}, got ${got}`);
      }
    };
    arr('tokenizer.ggml.scores', [T.FLOAT32, T.INT32]);
    arr('tokenizer.ggml.token_type', [T.INT32]);
    if (model === 'gpt2' && md.get('tokenizer.ggml.pre')?.value !== 'kimi-k2') {
      const merges = entry('tokenizer.ggml.merges', [T.ARRAY], "required by tokenizer model 'gpt2'");
      if (merges && merges.itemType !== T.STRING) fail('tokenizer.ggml.merges', `metadata key 'tokenizer.ggml.merges' must be an array of strings`);
    }
  }

  function checkLlamaTensors(nEmbd: number, nLayer: number, nQ: number, nKv: number, ff: number[]): void {
    const tokens = md.get('tokenizer.ggml.tokens')?.value;
    const nVocab = Array.isArray(tokens) ? tokens.length : undefined;
    const byName = new Map(file.tensors.map((t) => [t.name, t]));
    const want = (name: string, dims: readonly (number | undefined)[], required = true) => {
      const t = byName.get(name);
      if (!t) {
        if (required) fail(name, `tensor '${name}' is missing`);
        return;
      }
      if (t.dims.length !== dims.length || dims.some((d, i) => d !== undefined && t.dims[i] !== d)) {
        fail(name, `tensor '${name}' has shape [${t.dims.join(', ')}], expected [${dims.map((d) => d ?? '*').join(', ')}]`);
      }
    };
    want('token_embd.weight', [nEmbd, nVocab]);
    want('output_norm.weight', [nEmbd]);
    want('output.weight', [nEmbd, nVocab], false);
    for (let i = 0; i < nLayer; i++) {
      const p = `blk.${i}.`;
      want(`${p}attn_norm.weight`, [nEmbd]);
      if (byName.has(`${p}attn_qkv.weight`)) want(`${p}attn_qkv.weight`, [nEmbd, nQ + 2 * nKv]);
      else {
        want(`${p}attn_q.weight`, [nEmbd, nQ]);
        want(`${p}attn_k.weight`, [nEmbd, nKv]);
        want(`${p}attn_v.weight`, [nEmbd, nKv]);
      }
      want(`${p}attn_output.weight`, [nQ, nEmbd]);
      want(`${p}ffn_norm.weight`, [nEmbd]);
      const f = ff[i] ?? ff[0]!;
      want(`${p}ffn_gate.weight`, [nEmbd, f]);
      want(`${p}ffn_up.weight`, [nEmbd, f]);
      want(`${p}ffn_down.weight`, [f, nEmbd]);
    }
  }

  function checkTensors(): void {
    const names = new Set<string>();
    let expected = 0;
    const pad = (n: number) => Math.ceil(n / file.alignment) * file.alignment;
    for (const t of file.tensors) {
      if (names.has(t.name)) fail(t.name, `tensor '${t.name}' appears twice`);
      names.add(t.name);
      if (t.name.length > MAX_TENSOR_NAME) fail(t.name, `tensor name '${t.name}' is longer than ${MAX_TENSOR_NAME} bytes`);
      const traits = GGML_TYPES[t.type];
      if (!traits) {
        fail(t.name, `tensor '${t.name}' has unknown ggml type ${t.type}`);
        return; // later offsets cannot be checked without its size
      }
      if ((t.dims[0] ?? 1) % traits[1] !== 0) fail(t.name, `tensor '${t.name}' of type ${traits[0]} has ${t.dims[0]} elements per row, not a multiple of the block size ${traits[1]}`);
      if (t.offset !== expected) fail(t.name, `tensor '${t.name}' has data offset ${t.offset}, expected ${expected} (tensors must be stored in order, each padded to ${file.alignment} bytes)`);
      expected = t.offset + pad(t.nBytes);
    }
    if (file.dataEnd > file.fileSize) {
      const cut = file.tensors.find((t) => file.dataOffset + t.offset + t.nBytes > file.fileSize);
      fail(cut?.name ?? '/', `file is truncated: ${file.fileSize} bytes, but its tensor data${cut ? ` (from tensor '${cut.name}' on)` : ''} needs ${file.dataEnd} bytes`);
    }
  }
}

/** Reads and checks the GGUF file at `path`; `file` is null when it could not be parsed at all. */
export async function validateGguf(path: string): Promise<{ file: GgufFile | null; errors: MaasflowError[] }> {
  let file: GgufFile;
  try {
    file = await readGguf(path);
  } catch (err) {
    if (err instanceof MaasflowError) return { file: null, errors: [err] };
    throw err;
  }
  return { file, errors: checkGguf(file) };
}

/**
 * Reads and checks the GGUF file at `path`, throwing MaasflowError
 * 'MODEL_INVALID' that names the file and every bad key when it is unfit
 * for llama.cpp.
 */
export async function assertValidGguf(path: string): Promise<GgufFile> {
  const { file, errors } = await validateGguf(path);
  if (errors.length === 0 && file) return file;
  if (errors.length === 1) throw errors[0]!;
  const prefix = `${path}: `;
  const list = errors.map((e) => (e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message));
  throw new MaasflowError('MODEL_INVALID', `${path}: invalid GGUF model (${errors.length} problems): ${list.join('; ')}`, {
    location: { file: path },
    cause: new ValidationErrors(errors),
  });
}
