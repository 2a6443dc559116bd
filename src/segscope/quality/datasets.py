"""Labelled data sets for the quality benchmark: real tables, event-shaped and geometric
synthetic data with planted groups, and null controls whose right answer is one segment.

Every loader is ``load(name, seed, n) -> Dataset``. Synthetic data is drawn afresh from
``seed``; a real table is redrawn as a random 90% of its rows (``n`` is ignored), so that
five seeds are five re-draws of every data set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

STRUCTURED = "structured"
NULL = "null"
REAL_REDRAW_SHARE = 0.9


@dataclass(frozen=True)
class Dataset:
    """Numeric features (one row per user) and the planted labels of each row.

    ``top``: the top-level group; ``leaf``: the finest group (``top`` when not nested).
    ``kind``: "structured" (planted groups) or "null" (the right answer is one segment).
    """

    name: str
    kind: str
    X: pd.DataFrame
    top: np.ndarray
    leaf: np.ndarray

    @property
    def nested(self) -> bool:
        return not np.array_equal(pd.factorize(self.top)[0], pd.factorize(self.leaf)[0])


def _flat(name: str, kind: str, X, labels) -> Dataset:
    X = pd.DataFrame(X) if not isinstance(X, pd.DataFrame) else X
    X.columns = [str(c) for c in X.columns]
    labels = np.asarray(labels).astype(str)
    return Dataset(name, kind, X.reset_index(drop=True), labels, labels)


# ------------------------------------------------------------------ real, labelled tables
def _redraw(X: pd.DataFrame, labels: np.ndarray, seed: int):
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(X), size=int(round(REAL_REDRAW_SHARE * len(X))),
                              replace=False))
    return X.iloc[rows].reset_index(drop=True), np.asarray(labels)[rows]


def _sklearn(name: str, loader):
    def load(seed: int, n: int | None = None) -> Dataset:
        bunch = loader()
        X = pd.DataFrame(bunch.data, columns=[str(c) for c in bunch.feature_names])
        return _flat(name, STRUCTURED, *_redraw(X, bunch.target, seed))
    return load


def penguins(seed: int, n: int | None = None) -> Dataset:
    """Palmer penguins: the four body measurements, label species (rows with a gap dropped)."""
    from palmerpenguins import load_penguins

    frame = load_penguins().dropna().reset_index(drop=True)
    X = frame[["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]]
    return _flat("penguins", STRUCTURED, *_redraw(X, frame["species"].to_numpy(), seed))


# ------------------------------------------------------------------ event-shaped data
N_EVENT_TYPES = 12
EVENT_COLUMNS = [f"events_{i:02d}" for i in range(N_EVENT_TYPES)]
PERSONA_SHARES = (0.45, 0.22, 0.14, 0.09, 0.05, 0.03, 0.01)
BOT_SHARE = 0.004


def _activity(rng, n: int) -> np.ndarray:
    """A heavy-tailed per-user activity multiplier (log-normal, median 1, sd of log 0.6)."""
    return rng.lognormal(0.0, 0.6, size=n)


def _zinb(rng, mean: np.ndarray, zero_share: np.ndarray, dispersion: float = 2.0) -> np.ndarray:
    """Zero-inflated negative-binomial counts with the given means (per cell)."""
    p = dispersion / (dispersion + np.maximum(mean, 1e-9))
    counts = rng.negative_binomial(dispersion, p)
    return np.where(rng.random(mean.shape) < zero_share, 0, counts)


def _profiles(rng, n_groups: int, n_signature: int, high=(6.0, 25.0), low=0.3):
    """Per group: a mean rate per event type (a few signature types high, the rest low) and
    a zero share per event type (most users never do a type outside their signature)."""
    rates = np.full((n_groups, N_EVENT_TYPES), low)
    zeros = np.full((n_groups, N_EVENT_TYPES), 0.7)
    for g in range(n_groups):
        signature = rng.choice(N_EVENT_TYPES, size=n_signature, replace=False)
        rates[g, signature] = rng.uniform(*high, size=n_signature)
        zeros[g, signature] = 0.05
    return rates, zeros


def _bots(rng, n_bots: int) -> np.ndarray:
    """Automated accounts: one or two event types at thousands, nothing else."""
    counts = np.zeros((n_bots, N_EVENT_TYPES))
    for row in counts:
        kinds = rng.choice(N_EVENT_TYPES, size=rng.integers(1, 3), replace=False)
        row[kinds] = rng.integers(2000, 20000, size=len(kinds))
    return counts


def event_personas(seed: int, n: int = 3000) -> Dataset:
    """Counts per event type for 7 personas of 45% down to 1% of users, plus a few bots.

    Each persona has 4 signature event types (means 6-25 times a user's activity) and
    rarely does the others; counts are zero-inflated negative binomial around
    persona rate x a heavy-tailed activity multiplier. Bots are their own label."""
    rng = np.random.default_rng(seed)
    rates, zeros = _profiles(rng, len(PERSONA_SHARES), n_signature=4)
    n_bots = max(2, int(round(BOT_SHARE * n)))
    persona = rng.choice(len(PERSONA_SHARES), size=n - n_bots,
                         p=np.divide(PERSONA_SHARES, sum(PERSONA_SHARES)))
    mean = rates[persona] * _activity(rng, len(persona))[:, None]
    counts = np.vstack([_zinb(rng, mean, zeros[persona]), _bots(rng, n_bots)])
    labels = np.concatenate([persona.astype(str), np.full(n_bots, "bot")])
    order = rng.permutation(n)
    return _flat("event_personas", STRUCTURED,
                 pd.DataFrame(counts[order], columns=EVENT_COLUMNS), labels[order])


NESTED = {0: (0.30, 0.15, 0.10), 1: (0.15, 0.10), 2: (0.12, 0.08)}


def event_personas_nested(seed: int, n: int = 3000) -> Dataset:
    """Two levels: 3 top personas (55%, 25%, 20%) with 3, 2 and 2 sub-personas.

    A top persona sets 4 signature event types; its sub-personas share them and each adds
    2 event types of its own (means 4-10) out of the types no top persona uses much.
    Zero-inflated negative-binomial counts, heavy-tailed activity, a few bots (their own
    top and leaf label)."""
    rng = np.random.default_rng(seed)
    leaves = [(top, sub) for top, subs in NESTED.items() for sub in range(len(subs))]
    shares = np.array([NESTED[top][sub] for top, sub in leaves])
    top_rates, top_zeros = _profiles(rng, len(NESTED), n_signature=4)
    rates = np.array([top_rates[top] for top, _ in leaves])
    zeros = np.array([top_zeros[top] for top, _ in leaves])
    for i, (top, _) in enumerate(leaves):
        quiet = np.flatnonzero(top_rates[top] < 1.0)
        extra = rng.choice(quiet, size=2, replace=False)
        rates[i, extra] = rng.uniform(4.0, 10.0, size=2)
        zeros[i, extra] = 0.05
    n_bots = max(2, int(round(BOT_SHARE * n)))
    leaf = rng.choice(len(leaves), size=n - n_bots, p=shares / shares.sum())
    mean = rates[leaf] * _activity(rng, len(leaf))[:, None]
    counts = np.vstack([_zinb(rng, mean, zeros[leaf]), _bots(rng, n_bots)])
    top_labels = np.concatenate([[str(leaves[i][0]) for i in leaf], np.full(n_bots, "bot")])
    leaf_labels = np.concatenate([[f"{leaves[i][0]}.{leaves[i][1]}" for i in leaf],
                                  np.full(n_bots, "bot")])
    order = rng.permutation(n)
    X = pd.DataFrame(counts[order], columns=EVENT_COLUMNS)
    return Dataset("event_personas_nested", STRUCTURED, X, top_labels[order],
                   leaf_labels[order])


# ------------------------------------------------------------------ geometry
def anisotropic_blobs(seed: int, n: int = 2000) -> Dataset:
    """Three Gaussian blobs sheared into long parallel ellipses (scikit-learn's example)."""
    from sklearn.datasets import make_blobs

    X, labels = make_blobs(n_samples=n, centers=3, random_state=seed + 170)
    X = X @ np.array([[0.6, -0.6], [-0.4, 0.8]])
    return _flat("anisotropic_blobs", STRUCTURED, pd.DataFrame(X, columns=["x", "y"]), labels)


def unequal_density_blobs(seed: int, n: int = 2000) -> Dataset:
    """Four blobs in 5 dimensions with standard deviations 0.5, 1, 1.5 and 2.5."""
    from sklearn.datasets import make_blobs

    rng = np.random.default_rng(seed)
    centres = rng.uniform(-12, 12, size=(4, 5))
    X, labels = make_blobs(n_samples=n, centers=centres, cluster_std=[0.5, 1.0, 1.5, 2.5],
                           random_state=seed)
    return _flat("unequal_density_blobs", STRUCTURED,
                 pd.DataFrame(X, columns=[f"x{i}" for i in range(5)]), labels)


def manifold_arcs(seed: int, n: int = 2000, dims: int = 24) -> Dataset:
    """Four interleaved arcs (a one-dimensional curved manifold in 3-D: half circles 1.5
    apart, alternately flipped and bent out of the plane, like chained two-moons) embedded in
    ``dims`` dimensions by a random orthonormal map, plus noise in every dimension."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, size=n)
    t = rng.uniform(0.0, np.pi, size=n)
    flip = np.where(labels % 2 == 0, 1.0, -1.0)
    x = np.cos(t) + labels * 1.5
    y = flip * np.sin(t) + np.where(labels % 2 == 0, 0.0, 0.5)
    z = 0.6 * np.sin(2 * t) * flip
    latent = np.column_stack([x, y, z]) + rng.normal(0.0, 0.05, size=(n, 3))
    basis, _ = np.linalg.qr(rng.normal(size=(dims, 3)))
    X = latent @ basis.T + rng.normal(0.0, 0.03, size=(n, dims))
    return _flat("manifold_arcs", STRUCTURED,
                 pd.DataFrame(X, columns=[f"x{i:02d}" for i in range(dims)]), labels)


# ------------------------------------------------------------------ null controls
def uniform(seed: int, n: int = 2000) -> Dataset:
    """Uniform on the 8-dimensional unit cube."""
    rng = np.random.default_rng(seed)
    return _flat("uniform", NULL, pd.DataFrame(rng.random((n, 8))).add_prefix("x"),
                 np.zeros(n, dtype=int))


def gaussian(seed: int, n: int = 2000) -> Dataset:
    """One isotropic Gaussian in 8 dimensions."""
    rng = np.random.default_rng(seed)
    return _flat("gaussian", NULL, pd.DataFrame(rng.normal(size=(n, 8))).add_prefix("x"),
                 np.zeros(n, dtype=int))


def correlated_gaussian(seed: int, n: int = 2000) -> Dataset:
    """One Gaussian in 8 dimensions, pairwise correlation 0.9 between neighbours
    (0.9^|i-j|), columns on scales from 1 to 100."""
    rng = np.random.default_rng(seed)
    index = np.arange(8)
    cov = 0.9 ** np.abs(index[:, None] - index[None, :])
    scale = np.logspace(0, 2, 8)
    X = rng.multivariate_normal(np.zeros(8), cov, size=n) * scale
    return _flat("correlated_gaussian", NULL, pd.DataFrame(X).add_prefix("x"),
                 np.zeros(n, dtype=int))


def event_counts(seed: int, n: int = 3000) -> Dataset:
    """One population: zero-inflated negative-binomial counts per event type, with rates
    that are correlated across types (a shared log-normal factor, correlation about 0.6)
    and a heavy-tailed activity multiplier; no personas."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(1.0, 8.0, size=N_EVENT_TYPES)
    shared = rng.normal(size=(n, 1))
    log_rate = 0.6 * (np.sqrt(0.6) * shared + np.sqrt(0.4) * rng.normal(size=(n, N_EVENT_TYPES)))
    mean = base * np.exp(log_rate) * _activity(rng, n)[:, None]
    counts = _zinb(rng, mean, np.full((n, N_EVENT_TYPES), 0.3))
    return _flat("event_counts", NULL, pd.DataFrame(counts, columns=EVENT_COLUMNS),
                 np.zeros(n, dtype=int))


def rfm_continuum(seed: int, n: int = 2000) -> Dataset:
    """Recency, frequency and monetary value along one log-normal activity continuum:
    active users buy more often, more recently, and spend more in total."""
    rng = np.random.default_rng(seed)
    activity = rng.lognormal(0.0, 1.0, size=n)
    frequency = rng.poisson(2.0 * activity) + 1
    recency = rng.exponential(60.0 / activity)
    order_value = rng.lognormal(3.5, 0.5, size=n)
    monetary = frequency * order_value
    X = pd.DataFrame({"recency_days": recency, "frequency": frequency.astype(float),
                      "monetary": monetary, "avg_order_value": order_value})
    return _flat("rfm_continuum", NULL, X, np.zeros(n, dtype=int))


def _sklearn_loaders():
    from sklearn import datasets

    return {
        "digits": _sklearn("digits", datasets.load_digits),
        "wine": _sklearn("wine", datasets.load_wine),
        "iris": _sklearn("iris", datasets.load_iris),
        "breast_cancer": _sklearn("breast_cancer", datasets.load_breast_cancer),
    }


LOADERS = {
    **_sklearn_loaders(),
    "penguins": penguins,
    "event_personas": event_personas,
    "event_personas_nested": event_personas_nested,
    "anisotropic_blobs": anisotropic_blobs,
    "unequal_density_blobs": unequal_density_blobs,
    "manifold_arcs": manifold_arcs,
    "uniform": uniform,
    "gaussian": gaussian,
    "correlated_gaussian": correlated_gaussian,
    "event_counts": event_counts,
    "rfm_continuum": rfm_continuum,
}
REAL = ("digits", "wine", "iris", "breast_cancer", "penguins")
NULLS = ("uniform", "gaussian", "correlated_gaussian", "event_counts", "rfm_continuum")


def default_size(name: str) -> int | None:
    """The generator's default number of users (None: a real table, its own size)."""
    if name in REAL:
        return None
    import inspect

    return inspect.signature(LOADERS[name]).parameters["n"].default


def load(name: str, seed: int, size: float | None = None) -> Dataset:
    """Data set ``name`` drawn with ``seed``. ``size``: users (> 10), or a factor on the
    generator's default (<= 10); None: the default. Real tables keep their size."""
    if name not in LOADERS:
        raise ValueError(f"unknown data set {name!r}; the data sets are {', '.join(LOADERS)}")
    if name in REAL:
        return LOADERS[name](seed)
    n = default_size(name)
    if size is not None:
        n = int(size) if size > 10 else int(round(size * n))
    return LOADERS[name](seed, n)
