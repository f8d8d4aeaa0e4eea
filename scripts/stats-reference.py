#!/usr/bin/python3
"""Reference results for operators/stats from scipy and statsmodels.

Writes test/operators/stats/fixtures/reference.json: seeded datasets (stored
in the file, so the TypeScript tests need no Python) and what scipy /
statsmodels return for them. Regenerate with Debian's packages:

    apt-get install -y python3-scipy python3-statsmodels
    /usr/bin/python3 scripts/stats-reference.py

(`/usr/bin/python3`: the python3 first on PATH may not see Debian's packages.)

What each section matches:
  welch          scipy.stats.ttest_ind(equal_var=False), CI from stats.t.ppf
  mannWhitney    scipy.stats.mannwhitneyu(method='asymptotic', use_continuity=True)
  chisquare      scipy.stats.chisquare
  multipletests  statsmodels.stats.multitest.multipletests holm / fdr_bh
  power          statsmodels NormalIndPower / TTestIndPower .power
  sampleSize     the same power functions solved with scipy brentq (xtol 1e-12);
                 statsmodels' own solve_power (xtol 1e-5) is stored beside it
  distributions  scipy.stats norm / t / chi2 / nct
  msprt, cuped   the formulas of docs/STATISTICS.md written out in numpy
  bootstrap      resamples drawn with the repo's SplitMix32 (re-implemented
                 below), intervals by np.percentile and scipy's own BCa code
"""
import json
import math
import os
import sys
import warnings

import numpy as np
import scipy
import statsmodels
from scipy import optimize, stats
from scipy.stats import _resampling
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower, TTestIndPower

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'operators', 'stats', 'fixtures', 'reference.json')
ALTERNATIVES = ['two-sided', 'less', 'greater']
SM_ALT = {'two-sided': 'two-sided', 'less': 'smaller', 'greater': 'larger'}


def floats(x):
    return [float(v) for v in np.asarray(x, dtype=np.float64).ravel()]


# ---------------------------------------------------------------- datasets
def make_datasets():
    rng = np.random.default_rng(20261122)
    d = {}

    def add(name, a, b, note):
        d[name] = {'note': note, 'a': floats(a), 'b': floats(b)}

    add('small', rng.normal(0, 1, 5), rng.normal(0.5, 2, 7), 'n = 5 and 7, normal, unequal variances')
    add('tiny', rng.normal(1, 1, 2), rng.normal(0, 1, 3), 'n = 2 and 3 (smallest Welch allows)')
    add('unequal_var', rng.normal(10, 1, 200), rng.normal(10.3, 3, 150), 'n = 200 / 150, sd 1 vs 3')
    add('skewed', rng.lognormal(0, 1, 300), rng.lognormal(0.1, 1.2, 250), 'lognormal, skewed')
    add('ties', rng.integers(0, 6, 80), rng.integers(0, 7, 90), 'small integers: heavy ties')
    add('binary', rng.binomial(1, 0.10, 500), rng.binomial(1, 0.13, 500), 'conversions 0/1')
    add('aa_large', rng.normal(5, 2, 5000), rng.normal(5, 2, 5000), 'A/A, n = 5000 each')
    add('strong', rng.normal(0, 1, 1000), rng.normal(0.5, 1, 1000), 'strong effect: tiny p-values')
    add('exponential', rng.exponential(3, 60), rng.exponential(2, 45), 'exponential, n = 60 / 45')
    # CUPED: y depends on the pre-period covariate x
    for name, n_a, n_b, rho in (('cuped_strong', 400, 380, 0.8), ('cuped_weak', 150, 170, 0.2)):
        xa = rng.gamma(2.0, 5.0, n_a)
        xb = rng.gamma(2.0, 5.0, n_b)
        ya = 3 + rho * xa + rng.normal(0, 4, n_a)
        yb = 3.5 + rho * xb + rng.normal(0, 4, n_b)
        d[name] = {'note': f'CUPED: y = 3 + {rho} x + noise', 'a': floats(ya), 'b': floats(yb), 'xa': floats(xa), 'xb': floats(xb)}
    # sequential data for mSPRT (arrival order is the array order)
    add('seq_aa', rng.normal(1, 1, 1500), rng.normal(1, 1, 1500), 'sequential A/A')
    add('seq_effect', rng.normal(1, 1, 1200), rng.normal(1.15, 1.3, 1000), 'sequential with an effect, unequal lengths')
    add('seq_strong', rng.normal(1, 1, 1000), rng.normal(1.3, 1, 1000), 'sequential with a strong effect')
    return d


# ---------------------------------------------------------------- sections
def welch_section(ds):
    out = []
    for name in ('small', 'tiny', 'unequal_var', 'skewed', 'ties', 'binary', 'aa_large', 'strong', 'exponential'):
        a, b = np.array(ds[name]['a']), np.array(ds[name]['b'])
        va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
        se = math.sqrt(va + vb)
        df = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
        diff = a.mean() - b.mean()
        for alt in ALTERNATIVES:
            for conf in (0.95, 0.9):
                r = stats.ttest_ind(a, b, equal_var=False, alternative=alt)
                if alt == 'two-sided':
                    q = stats.t.ppf((1 + conf) / 2, df)
                    ci = [diff - q * se, diff + q * se]
                elif alt == 'less':
                    ci = [None, diff + stats.t.ppf(conf, df) * se]
                else:
                    ci = [diff - stats.t.ppf(conf, df) * se, None]
                out.append({'dataset': name, 'alternative': alt, 'confidence': conf, 't': float(r.statistic), 'pValue': float(r.pvalue),
                            'df': float(df), 'diff': float(diff), 'se': float(se), 'ci': [None if c is None else float(c) for c in ci]})
    return out


def mwu_section(ds):
    out = []
    for name in ('small', 'tiny', 'unequal_var', 'skewed', 'ties', 'binary', 'aa_large', 'exponential'):
        a, b = np.array(ds[name]['a']), np.array(ds[name]['b'])
        for alt in ALTERNATIVES:
            r = stats.mannwhitneyu(a, b, alternative=alt, method='asymptotic', use_continuity=True)
            out.append({'dataset': name, 'alternative': alt, 'u1': float(r.statistic), 'pValue': float(r.pvalue)})
    return out


def chisquare_section():
    cases = [
        ([5000, 5100], None),
        ([5000, 5400], None),
        ([49_800, 50_200], [1, 1]),
        ([1000, 2000, 3050], [1, 2, 3]),
        ([100, 100], [1, 1]),
        ([30_000, 40_000], [1, 1]),  # gross mismatch: p far below 1e-300 is 0 in both
        ([9_100, 900], [0.9, 0.1]),
        ([12, 31, 7, 50], [0.1, 0.3, 0.1, 0.5]),
    ]
    out = []
    for observed, ratios in cases:
        obs = np.array(observed, dtype=float)
        r_ = np.ones(len(observed)) if ratios is None else np.array(ratios, dtype=float)
        expected = obs.sum() * r_ / r_.sum()
        r = stats.chisquare(obs, expected)
        out.append({'observed': observed, 'ratios': ratios, 'expected': floats(expected), 'chi2': float(r.statistic), 'df': len(observed) - 1, 'pValue': float(r.pvalue)})
    return out


def multipletests_section():
    rng = np.random.default_rng(7)
    sets = [
        [0.01],
        [0.01, 0.04, 0.03, 0.005, 0.2],
        floats(np.concatenate([rng.uniform(0, 0.01, 5), rng.uniform(0, 1, 15)])),
        [0.02, 0.02, 0.02, 0.5, 0.5, 0.04],  # ties
        [0.9, 0.95, 0.99, 1.0],
        floats(rng.uniform(0, 0.2, 50)),
    ]
    out = []
    for p in sets:
        for alpha in (0.05, 0.1):
            entry = {'pvalues': p, 'alpha': alpha}
            for method in ('holm', 'fdr_bh'):
                rej, adj, _, _ = multipletests(p, alpha=alpha, method=method)
                entry[method] = {'adjusted': floats(adj), 'rejected': [bool(x) for x in rej]}
            out.append(entry)
    return out


def power_section():
    out = []
    for test, cls in (('normal', NormalIndPower()), ('t', TTestIndPower())):
        for d in (0.05, 0.2, 0.5, 0.8, -0.3):
            for nobs1 in (5, 20, 100, 1000):
                for alpha in (0.05, 0.01):
                    for ratio in (1, 2, 0.5):
                        for alt in ALTERNATIVES:
                            p = cls.power(effect_size=d, nobs1=nobs1, alpha=alpha, ratio=ratio, alternative=SM_ALT[alt])
                            out.append({'test': test, 'effectSize': d, 'nobs1': nobs1, 'alpha': alpha, 'ratio': ratio, 'alternative': alt, 'power': float(p)})
    return out


def sample_size_section():
    out = []
    for test, cls in (('normal', NormalIndPower()), ('t', TTestIndPower())):
        for d in (0.1, 0.3, 0.8, 1.5):
            for power in (0.8, 0.9):
                for alpha in (0.05, 0.01):
                    for ratio in (1, 3):
                        for alt in ALTERNATIVES:
                            eff = -d if alt == 'less' else d
                            kw = dict(effect_size=eff, alpha=alpha, ratio=ratio, alternative=SM_ALT[alt])
                            low = 2.0 if test == 't' else 1e-6
                            f = lambda n: cls.power(nobs1=n, **kw) - power
                            # scipy's Boost nct warns on some df > 1000 evaluations (the values
                            # are fine) and statsmodels' bracket search probes df <= 0
                            with warnings.catch_warnings(), np.errstate(divide='ignore', invalid='ignore'):
                                warnings.simplefilter('ignore', RuntimeWarning)
                                upp = 8.0
                                while f(upp) <= 0:
                                    upp *= 2
                                tight = optimize.brentq(f, low, upp, xtol=1e-12, rtol=1e-15, maxiter=500)
                                sm = cls.solve_power(nobs1=None, power=power, **kw)
                            out.append({'test': test, 'effectSize': eff, 'power': power, 'alpha': alpha, 'ratio': ratio, 'alternative': alt,
                                        'nobs1': float(tight), 'statsmodels': float(np.squeeze(sm))})
    return out


def distributions_section():
    xs = [-40, -8.5, -3, -1.96, -0.5, 0, 0.3, 1.2, 2.5, 6, 12]
    dfs = [1, 2.5, 4, 9.7, 30, 151.3, 2000]
    ps = [1e-12, 1e-6, 0.001, 0.025, 0.1, 0.5, 0.8, 0.975, 0.999, 1 - 1e-9]
    chi_x = [0, 0.01, 0.5, 1, 3.84, 7.2, 15, 40, 120]
    chi_df = [1, 2, 3, 7, 20, 100]
    nct = [(x, df, nc) for x in (-3, -1, 0.5, 1.96, 2.6, 5) for df in (3, 10, 58, 400) for nc in (0, 0.5, 2.2, 4.5, -1.5, 9)]
    with np.errstate(divide='ignore', invalid='ignore'):  # Boost's nct raises spurious FP flags at df = 3; values are fine
        nct_cdf = [[x, df, nc, float(stats.nct.cdf(x, df, nc))] for x, df, nc in nct]
    return {
        'normalCdf': [[x, float(stats.norm.cdf(x))] for x in xs],
        'normalSf': [[x, float(stats.norm.sf(x))] for x in xs],
        'normalPpf': [[p, float(stats.norm.ppf(p))] for p in ps],
        'tCdf': [[x, df, float(stats.t.cdf(x, df))] for x in xs for df in dfs],
        'tSf': [[x, df, float(stats.t.sf(x, df))] for x in xs for df in dfs],
        'tPpf': [[p, df, float(stats.t.ppf(p, df))] for p in ps for df in dfs],
        'chi2Cdf': [[x, df, float(stats.chi2.cdf(x, df))] for x in chi_x for df in chi_df],
        'chi2Sf': [[x, df, float(stats.chi2.sf(x, df))] for x in chi_x for df in chi_df],
        'nctCdf': nct_cdf,
    }


def msprt_reference(a, b, tau2, alpha, every, min_per_arm, sigma2):
    """Always-valid p-values of the normal-mixture SPRT (Johari et al. 2017), one per look."""
    looks, pvals = [], []
    p = 1.0
    n_max = max(a.size, b.size)
    n = every
    while True:
        n = min(n, n_max)
        na, nb = min(n, a.size), min(n, b.size)
        if na >= min_per_arm and nb >= min_per_arm:
            xa, xb = a[:na], b[:nb]
            diff = xa.mean() - xb.mean()
            if sigma2 is None:
                s2 = xa.var(ddof=1) / na + xb.var(ddof=1) / nb
            else:
                s2 = sigma2 * (1 / na + 1 / nb)
            log_lr = 0.5 * math.log(s2 / (s2 + tau2)) + tau2 * diff * diff / (2 * s2 * (s2 + tau2))
            p = min(p, math.exp(-log_lr))
            looks.append(n)
            pvals.append(p)
        if n >= n_max:
            break
        n += every
    first = next((looks[i] for i, v in enumerate(pvals) if v <= alpha), None)
    return {'looks': looks, 'pValues': pvals, 'rejectedAt': first}


def msprt_section(ds):
    out = []
    for name, tau2, every, min_per_arm, sigma2 in (
        ('seq_aa', 0.01, 1, 10, None),
        ('seq_aa', 0.05, 100, 100, None),
        ('seq_effect', 0.02, 1, 10, None),
        ('seq_effect', 0.02, 50, 30, None),
        ('seq_effect', 0.1, 25, 2, 1.3),
        ('seq_strong', 0.05, 1, 10, None),
        ('seq_strong', 0.05, 100, 100, 1.0),
    ):
        a, b = np.array(ds[name]['a']), np.array(ds[name]['b'])
        r = msprt_reference(a, b, tau2, 0.05, every, min_per_arm, sigma2)
        out.append({'dataset': name, 'tau2': tau2, 'alpha': 0.05, 'every': every, 'minPerArm': min_per_arm, 'sigma2': sigma2, **r})
    return out


def cuped_section(ds):
    out = []
    for name in ('cuped_strong', 'cuped_weak'):
        d = ds[name]
        ya, yb, xa, xb = (np.array(d[k]) for k in ('a', 'b', 'xa', 'xb'))
        # one arm alone
        theta = np.cov(ya, xa, ddof=1)[0, 1] / xa.var(ddof=1)
        adj = ya - theta * (xa - xa.mean())
        single = {'theta': float(theta), 'varianceBefore': float(ya.var(ddof=1)), 'varianceAfter': float(adj.var(ddof=1)),
                  'varianceReduction': float(1 - adj.var(ddof=1) / ya.var(ddof=1)), 'adjusted': floats(adj)}
        # two arms: theta and mean(x) from the pooled data
        y, x = np.concatenate([ya, yb]), np.concatenate([xa, xb])
        theta2 = np.cov(y, x, ddof=1)[0, 1] / x.var(ddof=1)
        aa, ab = ya - theta2 * (xa - x.mean()), yb - theta2 * (xb - x.mean())
        before = ya.var(ddof=1) / ya.size + yb.var(ddof=1) / yb.size
        after = aa.var(ddof=1) / aa.size + ab.var(ddof=1) / ab.size
        arms = {'theta': float(theta2), 'xMean': float(x.mean()), 'adjustedA': floats(aa), 'adjustedB': floats(ab),
                'diffBefore': float(ya.mean() - yb.mean()), 'diffAfter': float(aa.mean() - ab.mean()),
                'varianceBefore': float(before), 'varianceAfter': float(after), 'varianceReduction': float(1 - after / before)}
        out.append({'dataset': name, 'single': single, 'arms': arms})
    return out


# -------- the repo's SplitMix32 / hashSeed (streams/nexmark/prng.ts), bit for bit
M32 = 0xFFFFFFFF


def _imul(a, b):
    return (a * b) & M32


def _fmix32(h):
    h &= M32
    h ^= h >> 16
    h = _imul(h, 0x85EBCA6B)
    h ^= h >> 13
    h = _imul(h, 0xC2B2AE35)
    h ^= h >> 16
    return h


def hash_seed(seed, index):
    lo, hi = index & M32, (index // 4294967296) & M32
    h = _fmix32((seed & M32) ^ 0x9E3779B9)
    h = _fmix32(h ^ lo)
    return _fmix32((h + _imul(hi, 0x27D4EB2F)) & M32)


class SplitMix32:
    def __init__(self, seed):
        self.s = seed & M32

    def next_u32(self):
        self.s = (self.s + 0x9E3779B9) & M32
        z = self.s
        z = _imul(z ^ (z >> 16), 0x85EBCA6B)
        z = _imul(z ^ (z >> 13), 0xC2B2AE35)
        return z ^ (z >> 16)

    def next_int(self, n):
        r = math.floor(self.next_u32() * (1 / 4294967296) * n)
        return r if r < n else n - 1


def bootstrap_diffs(a, b, seed, resamples, chunk_size):
    """Resample r of chunk k = r // chunk_size draws from SplitMix32(hash_seed(seed, k)): len(a) indices into a, then len(b) into b."""
    a, b = list(a), list(b)
    na, nb = len(a), len(b)
    out = []
    for k in range((resamples + chunk_size - 1) // chunk_size):
        rng = SplitMix32(hash_seed(seed, k))
        for _ in range(min(chunk_size, resamples - k * chunk_size)):
            sa = 0.0
            for _ in range(na):
                sa += a[rng.next_int(na)]
            sb = 0.0
            for _ in range(nb):
                sb += b[rng.next_int(nb)]
            out.append(sa / na - sb / nb)
    return np.array(out)


def bootstrap_section(ds):
    out = []
    stat = lambda x, y, axis=-1: np.mean(x, axis=axis) - np.mean(y, axis=axis)
    for name, seed, resamples, chunk_size, conf in (
        ('small', 1, 999, 100, 0.95),
        ('exponential', 42, 2000, 256, 0.95),
        ('skewed', 7, 1000, 64, 0.9),
    ):
        a, b = np.array(ds[name]['a']), np.array(ds[name]['b'])
        diffs = bootstrap_diffs(a, b, seed, resamples, chunk_size)
        alpha = (1 - conf) / 2
        pct = [float(np.percentile(diffs, alpha * 100)), float(np.percentile(diffs, (1 - alpha) * 100))]
        a1, a2, a_hat = _resampling._bca_interval((a, b), stat, -1, alpha, diffs, None)
        bca = [float(np.percentile(diffs, float(a1) * 100)), float(np.percentile(diffs, float(a2) * 100))]
        out.append({'dataset': name, 'seed': seed, 'resamples': resamples, 'chunkSize': chunk_size, 'confidence': conf,
                    'estimate': float(a.mean() - b.mean()), 'se': float(diffs.std(ddof=1)), 'percentile': pct, 'bca': bca,
                    'acceleration': float(a_hat), 'head': floats(diffs[:5]), 'tail': floats(diffs[-3:])})
    return out


def main():
    ds = make_datasets()
    ref = {
        'generatedBy': 'scripts/stats-reference.py',
        'versions': {'python': sys.version.split()[0], 'numpy': np.__version__, 'scipy': scipy.__version__, 'statsmodels': statsmodels.__version__},
        'datasets': ds,
        'welch': welch_section(ds),
        'mannWhitney': mwu_section(ds),
        'chisquare': chisquare_section(),
        'multipletests': multipletests_section(),
        'power': power_section(),
        'sampleSize': sample_size_section(),
        'distributions': distributions_section(),
        'msprt': msprt_section(ds),
        'cuped': cuped_section(ds),
        'bootstrap': bootstrap_section(ds),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(ref, f, separators=(',', ':'), allow_nan=False)
        f.write('\n')
    print(f'wrote {os.path.relpath(OUT, ROOT)} ({os.path.getsize(OUT)} bytes)')


if __name__ == '__main__':
    main()
