#!/usr/bin/python3
"""Baseline of bench/qmpt.ts: scikit-learn's GaussianMixture fit + score_samples.

usage: qmpt_gmm.py FILE ROWS COLS REPEATS
FILE holds ROWS*COLS little-endian float64 values, row-major. Fits
GaussianMixture(n_components=4, covariance_type='full', tol=1e-3,
max_iter=100, n_init=1, random_state=0) and scores every row, REPEATS times,
and prints one JSON object: wall seconds per repeat, CPU seconds per repeat
(numpy/OpenBLAS and KMeans may use several threads), iterations, converged,
mean log-likelihood, versions. Missing numpy/scikit-learn: prints
{"error": ...} and exits with status 3.
"""
import json
import sys
import time


def main():
    try:
        import numpy as np
        import sklearn
        from sklearn.mixture import GaussianMixture
    except ImportError as err:
        print(json.dumps({"error": f"{err} (install Debian's python3-sklearn)"}))
        sys.exit(3)
    path, rows, cols, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    x = np.fromfile(path, dtype="<f8").reshape(rows, cols)
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        gm = GaussianMixture(n_components=4, covariance_type="full", tol=1e-3, max_iter=100, n_init=1, random_state=0).fit(x)
        scores = gm.score_samples(x)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    print(json.dumps({
        "wall": wall,
        "cpu": cpu,
        "iterations": int(gm.n_iter_),
        "converged": bool(gm.converged_),
        "meanLogLikelihood": float(scores.mean()),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()
