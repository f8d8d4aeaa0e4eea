/** The Markdown report of a model update (models/runtime/update.ts): decision and why, scores, every control prompt on both models. */
import type { ModelManifest } from '../registry/manifest.ts';
import { summarizeWarmup, type ModelWarmup, type PromptRun } from './control-prompts.ts';
import type { UpdateResult } from './update.ts';

const MAX_OUTPUT = 160;

export function renderUpdateReport(o: { result: UpdateResult; candidate: ModelManifest; active: ModelManifest; stagedAt: string; at: Date }): string {
  const { result: r, candidate, active } = o;
  const a = r.active.warmup;
  const c = r.candidate.warmup;
  const lines: string[] = [];
  lines.push(`# Model update: ${candidate.id} against ${active.id}`, '');
  lines.push(`- **Decision: ${r.decision === 'promoted' ? 'promoted' : 'rolled back'}**`);
  lines.push(`- Why: ${cell(r.reason)}`);
  lines.push(`- When: ${o.at.toISOString()}`);
  lines.push(`- Candidate: \`${candidate.id}\` (${candidate.role}, ${candidate.format}, ${candidate.path}), manifest staged at ${o.stagedAt}`);
  lines.push(`- Active: \`${active.id}\` (${active.role}, ${active.format}, ${active.path}), manifest ${active.file}`);
  lines.push(`- Rule: roll back when the candidate's score is more than ${(r.maxDrop * 100).toFixed(1)} % below the active model's, or when it fails to load or to answer a control prompt (seed 001 §15)`);
  if (r.decision === 'promoted') {
    lines.push(
      r.replaced
        ? `- Manifest: moved to ${r.manifestPath}, replacing the active model's manifest (same family and purpose); the replaced manifest is kept at ${r.replaced.copy}`
        : `- Manifest: moved to ${r.manifestPath}, beside the active model (not of the same family and purpose, so not an upgrade of it)`,
    );
  } else lines.push(`- Manifest: stays at ${r.manifestPath}; the manifests folder is unchanged`);
  lines.push('');

  lines.push('## Scores', '', `| | active \`${active.id}\` | candidate \`${candidate.id}\` |`, '|---|---|---|');
  const sa = summarizeWarmup(a);
  const sc = summarizeWarmup(c);
  const row = (name: string, x: string, y: string): void => void lines.push(`| ${name} | ${x} | ${y} |`);
  row('score', num(r.active.score, 3), num(r.candidate.score, 3));
  row('expectations held', `${sa.passed}/${sa.judged}`, c.loadError === null ? `${sc.passed}/${sc.judged}` : '-');
  row('failed calls', String(sa.errors), c.loadError === null ? String(sc.errors) : '-');
  row('load ms', num(a.loadMs, 0), c.loadError === null ? num(c.loadMs, 0) : `failed: ${cell(c.loadError)}`);
  row('mean latency ms', num(sa.meanLatencyMs, 1), num(sc.meanLatencyMs, 1));
  row('tokens/s', num(sa.tokensPerSecond, 1), num(sc.tokensPerSecond, 1));
  if (r.drop !== null) row('score change', '', r.drop === 0 ? 'none' : `${r.drop > 0 ? '-' : '+'}${(Math.abs(r.drop) * 100).toFixed(1)} %`);
  lines.push('');

  lines.push('## Control prompts', '', '| prompt | expect | active output | ok | ms | candidate output | ok | ms |', '|---|---|---|---|---|---|---|---|');
  const byId = (w: ModelWarmup, id: string): PromptRun | undefined => w.prompts.find((p) => p.id === id);
  for (const p of a.prompts) {
    const q = byId(c, p.id);
    lines.push(`| ${cell(p.id)}: ${cell(p.prompt)} | ${p.expect === null ? '' : `\`${cell(p.expect)}\``} | ${output(p)} | ${mark(p)} | ${p.latencyMs.toFixed(1)} | ${q ? output(q) : '-'} | ${q ? mark(q) : '-'} | ${q ? q.latencyMs.toFixed(1) : '-'} |`);
  }
  lines.push(
    '',
    'Outputs are greedy (temperature 0) completions of the raw prompt; ok: the expectation held (✓), did not (✗), or there is none (·). ' +
      'The decision rests on the score; latency and tokens/s are for the reader. The active model is loaded first, so its load time includes starting the runtime (llama.cpp backend, ONNX Runtime).',
    '',
  );
  return lines.join('\n');
}

function output(p: PromptRun): string {
  if (p.error !== null) return `**error**: ${cell(p.error)}`;
  const text = p.output.length > MAX_OUTPUT ? `${p.output.slice(0, MAX_OUTPUT)}…` : p.output;
  return cell(JSON.stringify(text));
}

const mark = (p: PromptRun): string => (p.pass === null ? '·' : p.pass ? '✓' : '✗');
const num = (x: number | null, digits: number): string => (x === null ? '-' : x.toFixed(digits));
/** A table cell: no pipes, no line breaks. */
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
