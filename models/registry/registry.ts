import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MaasflowError } from '../../engine/errors.ts';
import { loadManifests, type Capability, type ModelManifest, type ModelRole } from './manifest.ts';

export const DEFAULT_MANIFESTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../manifests');

/** What a call needs (seed 001 §3.1 decides the role from it). */
export interface SelectionRequest {
  capability: Capability;
  /** The answer needs the full context (emotions, long memory). */
  fullContext?: boolean;
  /** Latency matters more than quality. */
  latencyCritical?: boolean;
  /** The device is loaded (queues long). */
  resourcesBusy?: boolean;
  /** A/B comparison of quality (e.g. a second opinion, a judge of the primary). */
  comparison?: boolean;
  /** A micro check (yes/no, a label). */
  micro?: boolean;
}

export interface Selection {
  manifest: ModelManifest;
  /** The role §3.1 asked for; the manifest's role may differ when it fell back. */
  wanted: ModelRole;
  /** Why this model: the rule, and any fallback. Recorded with each call. */
  reason: string;
}

/** Where to look when no model of the wanted role has the capability. */
const FALLBACK: Record<ModelRole, ModelRole[]> = {
  primary: ['primary', 'secondary', 'optional_moe', 'lightweight', 'micro'],
  secondary: ['secondary', 'primary', 'optional_moe', 'lightweight', 'micro'],
  lightweight: ['lightweight', 'micro', 'secondary', 'primary', 'optional_moe'],
  micro: ['micro', 'lightweight', 'secondary', 'primary', 'optional_moe'],
  optional_moe: ['optional_moe', 'primary', 'secondary', 'lightweight', 'micro'],
};

/** The models of a manifests folder, and the selection policy of seed 001 §3.1. */
export class ModelRegistry {
  private readonly byId: Map<string, ModelManifest>;
  /** The manifests never change, so a selection is computed once per distinct request (it runs on every model call). */
  private readonly selections = new Map<string, Selection>();

  constructor(readonly manifests: readonly ModelManifest[]) {
    this.byId = new Map(manifests.map((m) => [m.id, m]));
  }

  static load(dir: string = DEFAULT_MANIFESTS_DIR, modelsRoot: string = process.cwd()): ModelRegistry {
    return new ModelRegistry(loadManifests(dir, modelsRoot));
  }

  get(id: string): ModelManifest {
    const m = this.byId.get(id);
    if (!m) throw new MaasflowError('CONFIG', `no model "${id}" in the registry (known: ${[...this.byId.keys()].sort().join(', ')})`);
    return m;
  }

  /**
   * §3.1: full context → primary; latency-critical or resources busy →
   * lightweight; A/B comparison → secondary; micro checks → micro; otherwise
   * primary. Among the models with the capability, the wanted role first,
   * else the next role of FALLBACK that has one; model files before built-ins
   * (a built-in serves only what no file can). The reason says which rule and
   * which fallback.
   */
  select(req: SelectionRequest): Selection {
    const key = `${req.capability}|${req.fullContext ? 1 : 0}${req.latencyCritical ? 1 : 0}${req.resourcesBusy ? 1 : 0}${req.comparison ? 1 : 0}${req.micro ? 1 : 0}`;
    let chosen = this.selections.get(key);
    if (!chosen) this.selections.set(key, (chosen = this.choose(req)));
    return chosen;
  }

  private choose(req: SelectionRequest): Selection {
    const [wanted, rule] = req.fullContext
      ? (['primary', 'full context needed'] as const)
      : req.latencyCritical || req.resourcesBusy
        ? (['lightweight', req.latencyCritical ? 'latency-critical' : 'resources busy'] as const)
        : req.comparison
          ? (['secondary', 'A/B comparison'] as const)
          : req.micro
            ? (['micro', 'micro check'] as const)
            : (['primary', 'default'] as const);
    const capable = this.manifests.filter((m) => m.capabilities.includes(req.capability));
    if (capable.length === 0) throw new MaasflowError('CONFIG', `no model in the registry can do ${req.capability}`);
    // Model files first (by the fallback order of roles), built-ins only when no file can do it.
    for (const builtin of [false, true]) {
      for (const role of FALLBACK[wanted]) {
        const chosen = capable.filter((m) => m.role === role && (m.format === 'builtin') === builtin).sort((a, b) => a.id.localeCompare(b.id))[0];
        if (!chosen) continue;
        const fallback = role === wanted ? '' : `; no ${wanted} model can do ${req.capability}, fell back to ${role}`;
        return { manifest: chosen, wanted, reason: `${rule} -> ${wanted}${fallback}${builtin ? '; built-in (no model file can do it)' : ''}` };
      }
    }
    throw new MaasflowError('RUNTIME', `internal: no role found for ${req.capability}`);
  }
}
