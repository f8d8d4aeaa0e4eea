#!/usr/bin/python3
"""Reference values for the QMPT density models (docs/QMPT.md section 3.1).

Writes two fixtures that the tests compare against (CI machines have no
scikit-learn, so the output is committed):

  test/qmpt/fixtures/gmm-sklearn.json  seeded datasets (data included, rounded
      to 6 decimals before fitting); per dataset sklearn GaussianMixture for
      K = 1..6 (random_state 0, n_init, a tol small enough to reach the
      optimum): BIC, mean log-likelihood (score), iterations per K, and the K
      that minimises BIC.
  test/qmpt/fixtures/kde-scipy.json    scipy.stats.gaussian_kde logpdf of
      query points for Scott's, Silverman's and a fixed bandwidth factor.

Run with Debian's Python, which has numpy, scipy and scikit-learn:
    /usr/bin/python3 scripts/qmpt-gmm-reference.py
"""
import json
import os

import numpy as np
import scipy
import sklearn
from scipy.stats import gaussian_kde
from sklearn.mixture import GaussianMixture

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "test", "qmpt", "fixtures")

GMM_SETTINGS = {"k_min": 1, "k_max": 6, "reg_covar": 1e-6, "tol": 1e-7, "max_iter": 1000, "n_init": 3}


def random_covariance(rng, d, scale):
    a = rng.normal(size=(d, d))
    return scale * (a @ a.T / d + 0.2 * np.eye(d))


def mixture(rng, sizes, means, covariances):
    parts = [rng.multivariate_normal(m, c, size=n) for n, m, c in zip(sizes, means, covariances)]
    x = np.concatenate(parts)
    return x[rng.permutation(len(x))]


def gmm_datasets():
    out = []
    rng = np.random.default_rng(101)
    out.append(("1d-2clusters", "full", mixture(rng, [250, 150], [[-2.0], [3.0]], [[[1.0]], [[0.5]]])))
    rng = np.random.default_rng(202)
    means = [[0, 0], [5, 1], [1, 6]]
    out.append(("2d-3clusters", "full", mixture(rng, [250, 200, 150], means, [random_covariance(rng, 2, 1.0) for _ in means])))
    rng = np.random.default_rng(303)
    means = rng.normal(0, 4, size=(4, 5))
    out.append(("5d-4clusters", "full", mixture(rng, [300, 300, 250, 150], means, [random_covariance(rng, 5, 1.0) for _ in means])))
    rng = np.random.default_rng(404)
    means = [np.zeros(8), np.full(8, 2.5)]
    out.append(("8d-2clusters-correlated", "full", mixture(rng, [600, 400], means, [random_covariance(rng, 8, 2.0) for _ in means])))
    rng = np.random.default_rng(505)
    means = [[0, 0, 0, 0], [4, -3, 2, 0], [-3, 3, 4, 5]]
    diag = [np.diag(rng.uniform(0.3, 2.0, size=4)) for _ in means]
    out.append(("4d-3clusters-diag", "diag", mixture(rng, [300, 300, 200], means, diag)))
    rng = np.random.default_rng(606)
    out.append(("3d-1cluster", "full", mixture(rng, [300], [[1, 2, 3]], [random_covariance(rng, 3, 1.0)])))
    return out


def gmm_fixture():
    s = GMM_SETTINGS
    sets = []
    for name, covariance, x in gmm_datasets():
        x = np.round(x, 6)
        per_k = []
        for k in range(s["k_min"], s["k_max"] + 1):
            gm = GaussianMixture(n_components=k, covariance_type=covariance, reg_covar=s["reg_covar"], tol=s["tol"], max_iter=s["max_iter"], n_init=s["n_init"], random_state=0).fit(x)
            per_k.append({"k": k, "bic": gm.bic(x), "meanLogLikelihood": gm.score(x), "iterations": int(gm.n_iter_), "converged": bool(gm.converged_)})
        chosen = min(per_k, key=lambda r: r["bic"])
        sets.append({"name": name, "covariance": covariance, "rows": x.shape[0], "cols": x.shape[1], "data": x.ravel().tolist(), "perK": per_k, "k": chosen["k"], "bic": chosen["bic"], "meanLogLikelihood": chosen["meanLogLikelihood"]})
        print(f"{name}: K = {chosen['k']}, mean log-likelihood {chosen['meanLogLikelihood']:.6f}")
    return {"generator": "scripts/qmpt-gmm-reference.py", "sklearn": sklearn.__version__, "numpy": np.__version__, "settings": s, "datasets": sets}


def kde_fixture():
    sets = []
    rng = np.random.default_rng(707)
    cases = [
        ("1d", mixture(rng, [100, 50], [[0.0], [4.0]], [[[1.0]], [[0.3]]])),
        ("2d", mixture(rng, [150, 150], [[0, 0], [3, 2]], [random_covariance(rng, 2, 1.0) for _ in range(2)])),
        ("3d", mixture(rng, [120, 80], [[0, 0, 0], [2, -2, 1]], [random_covariance(rng, 3, 1.0) for _ in range(2)])),
    ]
    for name, x in cases:
        x = np.round(x, 6)
        d = x.shape[1]
        lo, hi = x.min(axis=0), x.max(axis=0)
        span = hi - lo
        queries = np.round(rng.uniform(lo - 0.25 * span, hi + 0.25 * span, size=(40, d)), 6)
        queries = np.concatenate([x[:10], queries])
        results = []
        for bw in ["scott", "silverman", 0.3]:
            kde = gaussian_kde(x.T, bw_method=bw)
            results.append({"bandwidth": bw, "factor": float(kde.factor), "logpdf": kde.logpdf(queries.T).tolist()})
        sets.append({"name": name, "rows": x.shape[0], "cols": d, "data": x.ravel().tolist(), "queries": queries.ravel().tolist(), "results": results})
    return {"generator": "scripts/qmpt-gmm-reference.py", "scipy": scipy.__version__, "datasets": sets}


def write(name, value):
    path = os.path.join(FIXTURES, name)
    with open(path, "w") as f:
        json.dump(value, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path):,} bytes)")


if __name__ == "__main__":
    write("gmm-sklearn.json", gmm_fixture())
    write("kde-scipy.json", kde_fixture())
