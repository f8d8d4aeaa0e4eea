import type { Command } from 'commander';
import { parseCount } from '../output.ts';

/** `--models DIR` and `--model-threads N`, as start, emulate and teacher judge take them. */
export interface ModelFlags { models?: string; modelThreads: string }

export function addModelFlags(command: Command, modelsHelp: string): Command {
  return command.option('--models <dir>', modelsHelp).option('--model-threads <n>', 'CPU threads for llama.cpp (more is slower for small models on few cores: docs/MODELS.md)', '1');
}

/** The model files the flags name, or undefined for built-ins only. */
export function modelsFromFlags(f: ModelFlags): { dir: string; threads: number } | undefined {
  return f.models ? { dir: f.models, threads: parseCount('model-threads', f.modelThreads, 1, 256) } : undefined;
}
