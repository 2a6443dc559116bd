"""Synthetic users with planted hierarchical structure, shared by the segmentation tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

N_CONT = 10
COUNT_COLS = ("sessions", "videos", "exercises")


def make_planted(n=3000, seed=0, outlier_share=0.01, top_shares=(0.28, 0.24, 0.2, 0.16, 0.12)):
    """Users in 5 well separated groups; groups 0 and 1 each hold 2 sub-groups.

    Features (15): ``f0..f9`` continuous, three heavy-tailed counts
    (``sessions, videos, exercises``, negative binomial with group-dependent means),
    ``ratio`` in [0, 1] and a categorical ``plan``. Top-level groups differ in the
    continuous features (centres about 20 sd apart) and in the counts; sub-groups
    differ only in f7..f9, by 2.5 sd each side (about 9 sd apart). ``outlier_share`` of
    the users get two features pushed 20-30 sd away.

    Returns (features, catalog, truth) where truth has ``top``, ``sub`` and
    ``is_outlier`` aligned with the features.
    """
    rng = np.random.default_rng(seed)
    top = rng.choice(len(top_shares), size=n, p=np.asarray(top_shares) / sum(top_shares))
    centres = rng.normal(0.0, 1.0, size=(len(top_shares), N_CONT))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    centres *= 14.0
    X = centres[top] + rng.normal(size=(n, N_CONT))
    sub = top * 10
    for g in (0, 1):
        members = np.where(top == g)[0]
        side = rng.integers(0, 2, size=len(members))
        sub[members] = g * 10 + 1 + side
        X[members, 7:10] += np.where(side[:, None] == 1, 2.5, -2.5)
    count_mu = np.stack(
        [rng.permutation(np.linspace(0.3, 4.0, len(top_shares))) for _ in COUNT_COLS], axis=1
    )
    counts = {}
    for j, col in enumerate(COUNT_COLS):
        mean = np.exp(count_mu[top, j])
        counts[col] = rng.negative_binomial(5, 5 / (5 + mean)).astype("int64")
    ratio = 1 / (1 + np.exp(-(0.8 * top - 1.6 + rng.normal(0, 0.5, size=n))))
    plans = np.array(["free", "basic", "pro"])
    plan = plans[(top + (rng.uniform(size=n) < 0.15)) % 3]
    is_out = np.zeros(n, dtype=bool)
    n_out = int(round(outlier_share * n))
    if n_out:
        rows = rng.choice(n, size=n_out, replace=False)
        is_out[rows] = True
        for r in rows:
            cols = rng.choice(N_CONT, size=2, replace=False)
            X[r, cols] += rng.choice([-1, 1], size=2) * rng.uniform(20, 30, size=2)
    df = pd.DataFrame({"user_id": np.arange(1, n + 1, dtype="int64") * 7})
    for j in range(N_CONT):
        df[f"f{j}"] = X[:, j]
    for col in COUNT_COLS:
        df[col] = counts[col]
    df["ratio"] = ratio
    df["plan"] = plan
    catalog = pd.DataFrame(
        {
            "name": [f"f{j}" for j in range(N_CONT)] + list(COUNT_COLS) + ["ratio", "plan"],
            "kind": ["numeric"] * N_CONT + ["count"] * 3 + ["ratio", "categorical"],
            "transform": ["none"] * N_CONT + [None, "log1p", None] + ["none", "onehot"],
        }
    )
    truth = pd.DataFrame({"top": top, "sub": sub, "is_outlier": is_out})
    return df, catalog, truth


def make_blob(n=2000, p=8, seed=0, kind="gaussian"):
    """Structureless users: one Gaussian blob (correlated) or uniform noise."""
    rng = np.random.default_rng(seed)
    if kind == "gaussian":
        A = rng.normal(size=(p, p)) * 0.4 + np.eye(p)
        X = rng.normal(size=(n, p)) @ A
    else:
        X = rng.uniform(size=(n, p))
    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(p)])
    df.insert(0, "user_id", np.arange(n, dtype="int64"))
    return df


@pytest.fixture(scope="session")
def planted():
    return make_planted()
