/**
 * Isolation forest (Liu, Ting & Zhou 2008), docs/QMPT.md §3.2: `trees` trees,
 * each grown on ψ = min(sample_size, n) points drawn without replacement
 * from its own generator (Rng.fork(tree), so a tree does not depend on the
 * ones before it), to height ⌈log₂ ψ⌉. A node splits on a feature drawn
 * uniformly from those not constant in it, at p uniform in [min, max);
 * points with x_q ≤ p go left, so both children hold at least one point.
 *
 * s(x) = 2^(−E[h(x)] / c(ψ)), h(x) the edges from the root to x's external
 * node plus c(size) there. The nodes of all trees live in flat typed arrays
 * (feature, threshold, left, right, size; feature −1 marks an external node),
 * so a forest serialises to plain arrays for workers and checkpoints, and
 * scoring allocates nothing per row.
 */
import { MaasflowError } from '../../engine/errors.ts';
import { Rng } from '../random.ts';
import type { Matrix } from '../types.ts';
import { checkInteger, checkMatrix, configError } from './checks.ts';

const EULER_GAMMA = 0.5772156649;

/**
 * c(n), the mean path length of an unsuccessful search in a binary search
 * tree of n points: 2 H(n−1) − 2 (n−1)/n with H(i) ≈ ln i + γ for n > 2,
 * and the exact values c(2) = 1, c(n ≤ 1) = 0 (Liu et al. 2012; scikit-learn),
 * where the approximation is poor (it would give c(2) ≈ 0.15).
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

export interface IsolationForestOptions {
  trees: number;
  /** ψ before clamping to the number of rows. */
  sampleSize: number;
  seed: number;
}

export interface IsolationForestState {
  dim: number;
  trees: number;
  /** ψ actually used: min(sample_size, n). */
  sampleSize: number;
  heightLimit: number;
  /** Node index of each tree's root. */
  roots: number[];
  /** Split feature per node; −1 for an external node. */
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  /** Points of the tree's sample that reached the node. */
  size: number[];
}

interface Nodes {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  size: Int32Array;
}

export class IsolationForest {
  /** c(size) per node (0 at internal nodes and single-point leaves), so a walk ends with one lookup. */
  private readonly leafPath: Float64Array;
  private readonly normaliser: number;

  private constructor(
    readonly dim: number,
    readonly sampleSize: number,
    readonly heightLimit: number,
    private readonly roots: Int32Array,
    private readonly nodes: Nodes,
  ) {
    const { feature, size } = nodes;
    this.leafPath = new Float64Array(feature.length);
    for (let i = 0; i < feature.length; i++) if (feature[i]! < 0) this.leafPath[i] = averagePathLength(size[i]!);
    this.normaliser = averagePathLength(sampleSize);
  }

  get trees(): number {
    return this.roots.length;
  }

  static fit(X: Matrix, options: IsolationForestOptions): IsolationForest {
    const fn = 'IsolationForest.fit';
    const trees = checkInteger(fn, 'trees', options.trees, 1);
    checkInteger(fn, 'sampleSize', options.sampleSize, 2);
    if (!Number.isFinite(options.seed)) throw configError(fn, 'seed', `= ${String(options.seed)} must be a finite number`);
    checkMatrix(fn, 'X', X, { minRows: 2 });
    const psi = Math.min(options.sampleSize, X.rows);
    const heightLimit = Math.ceil(Math.log2(psi));
    const capacity = trees * (2 * psi - 1); // a binary tree with ψ non-empty leaves at most
    const nodes: Nodes = {
      feature: new Int32Array(capacity),
      threshold: new Float64Array(capacity),
      left: new Int32Array(capacity),
      right: new Int32Array(capacity),
      size: new Int32Array(capacity),
    };
    const roots = new Int32Array(trees);
    const grower = new TreeGrower(X, nodes, heightLimit);
    const base = new Rng(options.seed);
    for (let t = 0; t < trees; t++) {
      const rng = base.fork(t);
      roots[t] = grower.grow(rng, rng.sample(X.rows, psi));
    }
    const used = grower.count;
    const trimmed: Nodes = {
      feature: nodes.feature.slice(0, used),
      threshold: nodes.threshold.slice(0, used),
      left: nodes.left.slice(0, used),
      right: nodes.right.slice(0, used),
      size: nodes.size.slice(0, used),
    };
    return new IsolationForest(X.cols, psi, heightLimit, roots, trimmed);
  }

  static fromState(state: IsolationForestState): IsolationForest {
    const bad = (what: string): MaasflowError => new MaasflowError('RUNTIME', `IsolationForest.fromState: ${what}`);
    if (state === null || typeof state !== 'object') throw bad('state must be an object');
    const { dim, sampleSize, heightLimit } = state;
    if (!Number.isInteger(dim) || dim < 1) throw bad(`dim = ${String(dim)} must be an integer ≥ 1`);
    if (!Number.isInteger(sampleSize) || sampleSize < 2) throw bad(`sampleSize = ${String(sampleSize)} must be an integer ≥ 2`);
    if (!Number.isInteger(heightLimit) || heightLimit < 0) throw bad(`heightLimit = ${String(heightLimit)} must be an integer ≥ 0`);
    const arrays = { roots: state.roots, feature: state.feature, threshold: state.threshold, left: state.left, right: state.right, size: state.size };
    for (const [name, a] of Object.entries(arrays)) if (!Array.isArray(a)) throw bad(`${name} must be an array`);
    const n = state.feature.length;
    for (const [name, a] of Object.entries(arrays)) if (name !== 'roots' && a.length !== n) throw bad(`${name} has ${a.length} entries, feature has ${n}`);
    if (state.roots.length < 1 || state.roots.length !== state.trees) throw bad(`roots has ${state.roots.length} entries for ${String(state.trees)} trees`);
    const nodes: Nodes = {
      feature: Int32Array.from(state.feature),
      threshold: Float64Array.from(state.threshold),
      left: Int32Array.from(state.left),
      right: Int32Array.from(state.right),
      size: Int32Array.from(state.size),
    };
    const inRange = (i: number): boolean => Number.isInteger(i) && i >= 0 && i < n;
    for (let i = 0; i < n; i++) {
      const f = state.feature[i]!;
      if (!Number.isInteger(f) || f < -1 || f >= dim) throw bad(`feature[${i}] = ${String(f)} is not −1 or a column of ${dim}`);
      // children come after their parent (pre-order), so every walk terminates
      if (f >= 0 && !(inRange(state.left[i]!) && inRange(state.right[i]!) && state.left[i]! > i && state.right[i]! > i)) throw bad(`node ${i} has children ${state.left[i]}, ${state.right[i]} outside ${i + 1}..${n - 1}`);
      if (f >= 0 && !Number.isFinite(state.threshold[i]!)) throw bad(`threshold[${i}] is not a finite number`);
      if (!Number.isInteger(state.size[i]!) || state.size[i]! < 0) throw bad(`size[${i}] = ${String(state.size[i])} must be an integer ≥ 0`);
    }
    state.roots.forEach((r, t) => {
      if (!inRange(r)) throw bad(`roots[${t}] = ${String(r)} is not a node index`);
    });
    return new IsolationForest(dim, sampleSize, heightLimit, Int32Array.from(state.roots), nodes);
  }

  /** E[h(x)] over the trees, for each row of X. */
  meanPathLength(X: Matrix, out: Float64Array = new Float64Array(X.rows)): Float64Array {
    checkMatrix('IsolationForest', 'X', X, { dim: this.dim });
    const { feature, threshold, left, right } = this.nodes;
    const { roots, leafPath } = this;
    const data = X.data;
    const d = X.cols;
    const trees = roots.length;
    for (let r = 0; r < X.rows; r++) {
      const off = r * d;
      let sum = 0;
      for (let t = 0; t < trees; t++) {
        let node = roots[t]!;
        let depth = 0;
        let f = feature[node]!;
        while (f >= 0) {
          node = data[off + f]! <= threshold[node]! ? left[node]! : right[node]!;
          f = feature[node]!;
          depth++;
        }
        sum += depth + leafPath[node]!;
      }
      out[r] = sum / trees;
    }
    return out;
  }

  /** s(x) = 2^(−E[h(x)] / c(ψ)) ∈ (0, 1] for each row of X. */
  score(X: Matrix, out: Float64Array = new Float64Array(X.rows)): Float64Array {
    this.meanPathLength(X, out);
    const c = this.normaliser;
    for (let r = 0; r < X.rows; r++) out[r] = Math.pow(2, -out[r]! / c);
    return out;
  }

  toState(): IsolationForestState {
    const { feature, threshold, left, right, size } = this.nodes;
    return {
      dim: this.dim,
      trees: this.roots.length,
      sampleSize: this.sampleSize,
      heightLimit: this.heightLimit,
      roots: Array.from(this.roots),
      feature: Array.from(feature),
      threshold: Array.from(threshold),
      left: Array.from(left),
      right: Array.from(right),
      size: Array.from(size),
    };
  }
}

/** Grows trees into shared node arrays, in pre-order; per-feature min/max scratch is reused across nodes. */
class TreeGrower {
  count = 0;
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  private rng: Rng | null = null;
  private idx: Uint32Array = new Uint32Array(0);

  constructor(
    private readonly X: Matrix,
    private readonly nodes: Nodes,
    private readonly heightLimit: number,
  ) {
    this.lo = new Float64Array(X.cols);
    this.hi = new Float64Array(X.cols);
  }

  /** One tree over the rows `sample`; returns its root's node index. */
  grow(rng: Rng, sample: Uint32Array): number {
    this.rng = rng;
    this.idx = sample;
    return this.node(0, sample.length, 0);
  }

  private node(from: number, to: number, depth: number): number {
    const { feature, threshold, left, right, size } = this.nodes;
    const id = this.count++;
    size[id] = to - from;
    feature[id] = -1;
    left[id] = -1;
    right[id] = -1;
    if (depth >= this.heightLimit || to - from <= 1) return id;
    const q = this.pickFeature(from, to);
    if (q < 0) return id; // every feature constant here: nothing to split
    const min = this.lo[q]!;
    const max = this.hi[q]!;
    let p = this.rng!.uniform(min, max);
    if (p >= max) p = min; // rounding can reach max when max − min is a few ulps
    const mid = this.partition(from, to, q, p);
    feature[id] = q;
    threshold[id] = p;
    left[id] = this.node(from, mid, depth + 1);
    right[id] = this.node(mid, to, depth + 1);
    return id;
  }

  /** A feature drawn uniformly among those not constant over idx[from..to), or −1; fills lo/hi. */
  private pickFeature(from: number, to: number): number {
    const { data, cols } = this.X;
    const { lo, hi, idx } = this;
    lo.fill(Infinity);
    hi.fill(-Infinity);
    for (let i = from; i < to; i++) {
      const off = idx[i]! * cols;
      for (let c = 0; c < cols; c++) {
        const v = data[off + c]!;
        if (v < lo[c]!) lo[c] = v;
        if (v > hi[c]!) hi[c] = v;
      }
    }
    let varying = 0;
    for (let c = 0; c < cols; c++) if (hi[c]! > lo[c]!) varying++;
    if (varying === 0) return -1;
    let pick = this.rng!.int(varying);
    for (let c = 0; c < cols; c++) {
      if (hi[c]! > lo[c]!) {
        if (pick === 0) return c;
        pick--;
      }
    }
    return -1; // unreachable
  }

  /** Reorders idx[from..to) so that rows with x_q ≤ p come first; returns where the rest start. */
  private partition(from: number, to: number, q: number, p: number): number {
    const { data, cols } = this.X;
    const idx = this.idx;
    let i = from;
    let j = to - 1;
    while (i <= j) {
      if (data[idx[i]! * cols + q]! <= p) i++;
      else {
        const t = idx[i]!;
        idx[i] = idx[j]!;
        idx[j] = t;
        j--;
      }
    }
    return i;
  }
}
