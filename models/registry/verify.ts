/**
 * Verifies the model files behind manifests without loading them into a
 * runtime (`maasflow models validate --verify`, the update process): the file
 * or folder exists, its sha256 is the manifest's (rule 4, unless
 * skip_checksum), a GGUF file's metadata and tensors are fit for llama.cpp
 * (models/gguf/validate.ts: some bad files abort the process inside
 * llama.cpp), an ONNX folder has what transformers.js reads. Every problem is
 * reported at the manifest line that points at the file:
 * `manifest.yaml:LINE /path: what [CODE]`.
 */
import fs from 'node:fs';
import { MaasflowError } from '../../engine/errors.ts';
import { SourceFile } from '../../topologies/source-file.ts';
import { checkTransformersFolder } from '../adapters/transformers.ts';
import { validateGguf } from '../gguf/validate.ts';
import { sha256OfModel } from '../runtime/model-host.ts';
import type { ModelManifest } from './manifest.ts';

export interface Verification {
  manifest: ModelManifest;
  /** What was checked and held, e.g. "sha256", "GGUF metadata". */
  passed: string[];
  /** What was not checked, and why (e.g. "sha256 (skip_checksum)"). */
  skipped: string[];
  errors: MaasflowError[];
}

/** Checks one manifest's model file; built-in models have none and pass. */
export async function verifyManifest(m: ModelManifest): Promise<Verification> {
  const v: Verification = { manifest: m, passed: [], skipped: [], errors: [] };
  if (m.format === 'builtin') {
    v.skipped.push('no model file (built-in)');
    return v;
  }
  const at = locator(m);
  const fail = (key: string, code: MaasflowError['code'], message: string, cause?: unknown): void =>
    void v.errors.push(new MaasflowError(code, message, { location: at(key), ...(cause === undefined ? {} : { cause }) }));

  if (!fs.existsSync(m.path)) {
    fail('path', 'MODEL_LOAD', `${m.path} does not exist`);
    return v;
  }
  const isDir = fs.statSync(m.path).isDirectory();
  if (m.format === 'gguf' && isDir) {
    fail('path', 'MODEL_INVALID', `${m.path} is a folder; a gguf model is one file`);
    return v;
  }
  if (m.format === 'onnx' && !isDir) {
    fail('path', 'MODEL_INVALID', `${m.path} is a file; an onnx model is a folder (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx)`);
    return v;
  }
  v.passed.push(isDir ? 'folder exists' : 'file exists');

  if (m.skip_checksum || m.checksum_sha256 === null) v.skipped.push('sha256 (skip_checksum)');
  else {
    const actual = await sha256OfModel(m.path);
    if (actual === m.checksum_sha256) v.passed.push('sha256');
    else fail('checksum_sha256', 'MODEL_INVALID', `rule 4: sha256 of ${m.path} is ${actual}, not ${m.checksum_sha256} (a changed or corrupt file: re-download it, or update the manifest; skip_checksum: true loads it unchecked)`);
  }

  if (m.format === 'gguf') {
    const { errors } = await validateGguf(m.path);
    if (errors.length === 0) v.passed.push('GGUF metadata and tensors');
    for (const e of errors) fail('path', 'MODEL_INVALID', e.message, e);
  } else {
    try {
      checkTransformersFolder(m.path);
      v.passed.push('ONNX folder complete');
    } catch (e) {
      if (!(e instanceof MaasflowError)) throw e;
      fail('path', e.code, e.message, e);
    }
  }
  return v;
}

/** Where a key of the manifest is (file:line /key), or just file /key when the file cannot be read back. */
function locator(m: ModelManifest): (key: string) => MaasflowError['location'] {
  let source: SourceFile | undefined;
  if (fs.existsSync(m.file)) source = SourceFile.parse(m.file, fs.readFileSync(m.file, 'utf8'), 'CONFIG').source;
  return (key) => source?.locate([key]) ?? { file: m.file, path: `/${key}` };
}
