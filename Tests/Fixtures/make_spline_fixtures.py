#!/usr/bin/env python3
"""Reference results for LeadScore's numeric shapes (issue #10): restricted cubic splines and
monotone ramps, computed with patsy, statsmodels, scikit-learn and scipy.

Run from the repository root:  python3 Tests/Fixtures/make_spline_fixtures.py
Needs: pip install numpy scipy statsmodels patsy scikit-learn

Writes Tests/Fixtures/spline-curve.csv (seeded data from a known smooth curve) and
Tests/Fixtures/spline-reference.json:

  - knots: Harrell's 5 knots at the 5/27.5/50/72.5/95% quantiles (numpy's default linear
    interpolation, R's type 7) of x;
  - unpenalized: probabilities of a maximum-likelihood logistic fit on patsy's natural cubic
    regression spline `cr(x, knots=inner, lower_bound=t1, upper_bound=t5)` (a different basis of
    the same space as Harrell's restricted cubic spline, computed independently of LeadScore), by
    statsmodels GLM;
  - harrell_basis: Harrell's basis (rms rcspline.eval, norm=2) at a few points, written out here
    from its formula;
  - penalized: scikit-learn LogisticRegression(C = 1/lambda) on Harrell's basis standardized by
    the population sd (LeadScore's documented design), probabilities and coefficients;
  - monotone: the L2-penalized logistic fit on standardized ramp terms with the ramp coefficients
    constrained >= 0 (scipy L-BFGS-B, tolerances at machine precision), for the projected Newton
    solver.
"""
import json
import os

import numpy as np
import patsy
import statsmodels.api as sm
from scipy.optimize import minimize
from sklearn.linear_model import LogisticRegression

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures")
PCTS = [0.05, 0.275, 0.50, 0.725, 0.95]


def truth(x):
    """The planted shape: log-shaped rise that flattens (a saturating size effect)."""
    return 2.0 * np.tanh(np.log(x) - 3.0) - 0.5


def harrell(x, t):
    k = len(t)
    out = [x]
    norm = (t[-1] - t[0]) ** 2
    for j in range(k - 2):
        term = (np.maximum(x - t[j], 0) ** 3
                - np.maximum(x - t[k - 2], 0) ** 3 * (t[k - 1] - t[j]) / (t[k - 1] - t[k - 2])
                + np.maximum(x - t[k - 1], 0) ** 3 * (t[k - 2] - t[j]) / (t[k - 1] - t[k - 2]))
        out.append(term / norm)
    return np.column_stack(out)


def ramps(x, s):
    return np.column_stack([np.minimum(np.maximum(x - s[j], 0), s[j + 1] - s[j]) for j in range(len(s) - 1)])


def penalized_fit(X, y, lam, sign=0):
    """Minimizes sum logloss + lam/2 * |beta|^2 (intercept last, unpenalized); sign +1 keeps the
    coefficients >= 0, -1 keeps them <= 0."""
    n, p = X.shape
    A = np.column_stack([X, np.ones(n)])

    def f(b):
        eta = A @ b
        loss = np.sum(np.logaddexp(0, eta) - y * eta) + 0.5 * lam * np.sum(b[:p] ** 2)
        r = 1 / (1 + np.exp(-eta)) - y
        g = A.T @ r
        g[:p] += lam * b[:p]
        return loss, g

    bound = {1: (0.0, None), -1: (None, 0.0), 0: (None, None)}[sign]
    bounds = [bound] * p + [(None, None)]
    res = minimize(f, np.zeros(p + 1), jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"ftol": 1e-16, "gtol": 1e-12, "maxiter": 100000, "maxcor": 50})
    return res.x


def main():
    rng = np.random.default_rng(20261129)
    n = 3000
    x = np.round(np.exp(rng.normal(3.0, 1.0, n)), 1)
    x = np.maximum(x, 0.1)
    p = 1 / (1 + np.exp(-truth(x)))
    y = (rng.uniform(size=n) < p).astype(float)
    with open(os.path.join(OUT, "spline-curve.csv"), "w") as fh:
        fh.write("x,y\n")
        for xi, yi in zip(x, y):
            fh.write(f"{xi:.1f},{'yes' if yi else 'no'}\n")

    t = np.quantile(x, PCTS)
    # Unpenalized: patsy's natural cubic regression spline (includes the constant), statsmodels GLM.
    cr = patsy.dmatrix(f"0 + cr(x, knots={list(t[1:-1])}, lower_bound={t[0]}, upper_bound={t[-1]})",
                       {"x": x}, return_type="matrix")
    # patsy's cr is linear beyond its bounds like Harrell's basis; x is inside [min, max] here.
    glm = sm.GLM(y, np.asarray(cr), family=sm.families.Binomial()).fit(tol=1e-14, maxiter=200)
    unpenalized = glm.predict(np.asarray(cr))

    H = harrell(x, t)
    mean = H.mean(axis=0)
    sd = H.std(axis=0)
    Z = (H - mean) / sd
    lam = 1.0
    sk = LogisticRegression(C=1 / lam, tol=1e-12, max_iter=1000, solver="newton-cholesky").fit(Z, y)
    penalized = sk.predict_proba(Z)[:, 1]

    # Monotone: breakpoints min, the five quantiles, max; increasing (ramp coefficients >= 0).
    s = [x.min()] + [v for v in t if v > x.min()] + [x.max()]
    s = sorted(set(s))
    R = ramps(x, s)
    rm, rs = R.mean(axis=0), R.std(axis=0)
    RZ = (R - rm) / rs
    lam_m = 1.0
    b = penalized_fit(RZ, y, lam_m, sign=1)
    b_down = penalized_fit(RZ, y, lam_m, sign=-1)
    b_free = penalized_fit(RZ, y, lam_m)

    points = [0.1, 5.0, t[1], 20.0, t[2], 60.0, t[-1], float(x.max()), 5000.0]
    ref = {
        "file": "spline-curve.csv",
        "rows": n,
        "knots": list(map(float, t)),
        "unpenalized_probabilities": list(map(float, unpenalized)),
        "harrell_points": points,
        "harrell_basis": [list(map(float, row)) for row in harrell(np.array(points), t)],
        "penalized": {
            "lambda": lam,
            "term_means": list(map(float, mean)),
            "term_sds": list(map(float, sd)),
            "coefficients": list(map(float, sk.coef_[0])),
            "intercept": float(sk.intercept_[0]),
            "probabilities": list(map(float, penalized)),
        },
        "monotone": {
            "lambda": lam_m,
            "breakpoints": list(map(float, s)),
            "term_means": list(map(float, rm)),
            "term_sds": list(map(float, rs)),
            "coefficients": list(map(float, b[:-1])),
            "intercept": float(b[-1]),
            "unconstrained_coefficients": list(map(float, b_free[:-1])),
            "decreasing_coefficients": list(map(float, b_down[:-1])),
            "decreasing_intercept": float(b_down[-1]),
        },
        "truth_points": [1.0, 5.0, 20.0, 50.0, 200.0],
        "truth_values": list(map(float, truth(np.array([1.0, 5.0, 20.0, 50.0, 200.0])))),
    }
    with open(os.path.join(OUT, "spline-reference.json"), "w") as fh:
        json.dump(ref, fh, indent=1)
        fh.write("\n")
    print("knots", t)
    print("monotone coefficients", b[:-1], "unconstrained", b_free[:-1], "decreasing", b_down[:-1])


if __name__ == "__main__":
    main()
