"""Is a segment real? Bootstrap, reseeded and per-cohort refits of every split.

For each node that split, a bounded sample of its users (``sample_size``) is taken
once, and the node's chosen split (a fresh reducer, the chosen algorithm and its
parameters: ``SegmentTree.refit_split``) is refitted three ways:

* **bootstrap** (Hennig's clusterboot): ``n_bootstrap`` resamples with replacement
  (each user counted once); every child's users in the resample are matched to the
  refit's cluster they overlap most, by Jaccard. The mean over resamples is the
  child's ``bootstrap_jaccard``: >= ``stable_jaccard`` (0.75) is ``stable``, below
  ``dissolving_jaccard`` (0.6) ``dissolving``, in between ``doubtful``;
  ``dissolved_share`` is the share of resamples in which it fell below 0.5.
* **seeds**: ``n_seeds`` refits of the same sample with other seeds; their ARI with
  the tree's labels is ``seed_ari`` (mean) and ``seed_ari_min`` of the split.
* **cohorts** (the 001 article's check): the split refitted on each signup cohort
  alone (cohorts with at least ``min_cohort_size`` users of the node); every child's
  best-match Jaccard inside the cohort and the cohort's ARI, next to the child's
  share of the cohort, so a segment that exists in one cohort only shows up.

Everything runs on bounded samples, so the cost does not grow with the population.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from ._validation import check_number, check_seed, derive_seed
from .diagnostics import NOISE, clusterwise_jaccard, concat_tables, sample_index, stability_ari
from .hierarchy import Split, splits_of
from .tree import OUTLIER_SEGMENT

STABILITY_COLUMNS = [
    "segment_id",
    "parent_segment_id",
    "bootstrap_jaccard",
    "bootstrap_jaccard_min",
    "dissolved_share",
    "n_bootstrap",
    "stability_status",
    "seed_ari",
    "seed_ari_min",
    "cohort_jaccard_min",
    "n_cohorts",
    "n_sampled",
]
COHORT_COLUMNS = [
    "segment_id",
    "parent_segment_id",
    "cohort",
    "n_cohort_users",
    "n_segment_users",
    "share_in_cohort",
    "share_overall",
    "jaccard",
    "cohort_ari",
]


class SegmentStability(BaseEstimator):
    """Bootstrap Jaccard, seed ARI and cohort consistency of every split of a fitted tree.

    Parameters
    ----------
    tree : fitted SegmentTree
    n_bootstrap : int, default=20
    n_seeds : int, default=3
    sample_size : int, default=2000
        Users of a node (or of a cohort within it) each refit sees at most.
    min_cohort_size : int, default=100
        Cohorts with fewer users in a node are not refitted there.
    stable_jaccard, dissolving_jaccard : float, default=0.75, 0.6
    random_state : int or None, default=0

    Attributes
    ----------
    stability_ : DataFrame, one row per child of a split (``STABILITY_COLUMNS``)
    cohorts_ : DataFrame, one row per child and cohort (``COHORT_COLUMNS``)
    """

    def __init__(
        self,
        tree=None,
        n_bootstrap=20,
        n_seeds=3,
        sample_size=2000,
        min_cohort_size=100,
        stable_jaccard=0.75,
        dissolving_jaccard=0.6,
        random_state=0,
    ):
        self.tree = tree
        self.n_bootstrap = n_bootstrap
        self.n_seeds = n_seeds
        self.sample_size = sample_size
        self.min_cohort_size = min_cohort_size
        self.stable_jaccard = stable_jaccard
        self.dissolving_jaccard = dissolving_jaccard
        self.random_state = random_state

    def _validate_params(self) -> int:
        if self.tree is None or not hasattr(self.tree, "assignments_"):
            raise ValueError("invalid value for parameter 'tree': a fitted SegmentTree")
        check_number("n_bootstrap", self.n_bootstrap, low=1, integer=True)
        check_number("n_seeds", self.n_seeds, low=1, integer=True)
        check_number("sample_size", self.sample_size, low=50, integer=True)
        check_number("min_cohort_size", self.min_cohort_size, low=10, integer=True)
        check_number("stable_jaccard", self.stable_jaccard, low=0.0, high=1.0)
        check_number("dissolving_jaccard", self.dissolving_jaccard, low=0.0, high=1.0)
        if self.dissolving_jaccard > self.stable_jaccard:
            raise ValueError(
                "invalid values for parameters 'dissolving_jaccard'/'stable_jaccard': "
                f"{self.dissolving_jaccard} > {self.stable_jaccard}"
            )
        return check_seed("random_state", self.random_state)

    def fit(self, X: pd.DataFrame, y, cohorts=None):
        """``X``: the segmented features; ``y``: leaf segment ids; ``cohorts``: a cohort
        label per row (None or NaN: no cohort), or None to skip the cohort check."""
        seed = self._validate_params()
        y = np.asarray(y, dtype=str)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)} segment ids")
        if cohorts is not None:
            if len(cohorts) != len(X):
                raise ValueError(f"X has {len(X)} rows but cohorts has {len(cohorts)} labels")
            cohorts = pd.factorize(pd.Series(cohorts, dtype=object), sort=True)  # None -> -1
        known = set(self.tree.split_nodes())
        stability, cohort_rows = [], []
        for split in splits_of(y, exclude=(OUTLIER_SEGMENT,)):
            if split.segment_id not in known:
                continue
            nseed = derive_seed(seed, split.segment_id)
            s, c = self._check_split(X, split, cohorts, nseed)
            stability.append(s)
            cohort_rows.append(c)
        self.stability_ = concat_tables(stability, STABILITY_COLUMNS)
        self.cohorts_ = concat_tables(cohort_rows, COHORT_COLUMNS)
        return self

    def tables(self) -> dict[str, pd.DataFrame]:
        """The fitted tables by name (what the dbt Python models return)."""
        return {"stability": self.stability_, "cohorts": self.cohorts_}

    def _refit(self, split: Split, Z: np.ndarray, seed: int) -> np.ndarray:
        return self.tree.refit_split(split.segment_id, Z, seed)

    def _check_split(self, X, split: Split, cohorts, nseed):
        transform = self.tree.preprocessor_.transform
        pick = sample_index(len(split.rows), int(self.sample_size), derive_seed(nseed, "sample"))
        Z = transform(X.iloc[split.rows[pick]]).to_numpy(dtype=np.float64)
        labels = split.child[pick]
        k = len(split.child_ids)
        is_noise = _noise_children(split)
        clusters = np.where(is_noise[labels], NOISE, labels)

        rng = np.random.default_rng(derive_seed(nseed, "bootstrap"))
        boot = np.full((int(self.n_bootstrap), k), np.nan)
        for b in range(int(self.n_bootstrap)):
            drawn = np.unique(rng.integers(0, len(Z), size=len(Z)))
            refit = self._refit(split, Z[drawn], derive_seed(nseed, "bootstrap", b))
            for j, value in clusterwise_jaccard(clusters[drawn], refit).items():
                boot[b, j] = value
        seed_ari = [
            stability_ari(labels, self._refit(split, Z, derive_seed(nseed, "seed", s)))
            for s in range(int(self.n_seeds))
        ]
        cohort_table = self._cohorts(X, split, cohorts, nseed)

        rows = []
        for j, child_id in enumerate(split.child_ids):
            jacc = boot[:, j]
            mean = float(np.nanmean(jacc)) if np.isfinite(jacc).any() else np.nan
            mine = cohort_table[cohort_table["segment_id"] == child_id]["jaccard"].dropna()
            rows.append(
                {
                    "segment_id": child_id,
                    "parent_segment_id": split.parent_segment_id,
                    "bootstrap_jaccard": mean,
                    "bootstrap_jaccard_min": float(np.nanmin(jacc))
                    if np.isfinite(jacc).any()
                    else np.nan,
                    "dissolved_share": float(np.mean(np.nan_to_num(jacc) < 0.5)),
                    "n_bootstrap": int(self.n_bootstrap),
                    "stability_status": "noise" if is_noise[j] else self._status(mean),
                    "seed_ari": float(np.mean(seed_ari)),
                    "seed_ari_min": float(np.min(seed_ari)),
                    "cohort_jaccard_min": float(mine.min()) if len(mine) else np.nan,
                    "n_cohorts": int(len(mine)),
                    "n_sampled": int((labels == j).sum()),
                }
            )
        return pd.DataFrame(rows, columns=STABILITY_COLUMNS), cohort_table

    def _status(self, jaccard: float) -> str:
        if not np.isfinite(jaccard):
            return "unknown"  # no member in the sample
        if jaccard >= self.stable_jaccard:
            return "stable"
        return "dissolving" if jaccard < self.dissolving_jaccard else "doubtful"

    def _cohorts(self, X, split: Split, cohorts, nseed) -> pd.DataFrame:
        if cohorts is None:
            return pd.DataFrame(columns=COHORT_COLUMNS)
        codes, names = cohorts
        node_cohort = codes[split.rows]
        child_ids = np.asarray(split.child_ids)
        overall = np.bincount(split.child, minlength=len(child_ids)) / len(split.rows)
        rows = []
        for code in np.unique(node_cohort[node_cohort >= 0]):
            cohort = names[code]
            inside = np.flatnonzero(node_cohort == code)
            counts = np.bincount(split.child[inside], minlength=len(child_ids))
            jaccard, ari = {}, np.nan
            if len(inside) >= int(self.min_cohort_size):
                cseed = derive_seed(nseed, "cohort", str(cohort))
                pick = inside[sample_index(len(inside), int(self.sample_size), cseed)]
                Z = self.tree.preprocessor_.transform(X.iloc[split.rows[pick]])
                refit = self._refit(split, Z.to_numpy(dtype=np.float64), cseed)
                labels = split.child[pick]
                clusters = np.where(_noise_children(split)[labels], NOISE, labels)
                # a cluster with no member in the cohort's sample gets no Jaccard (NaN)
                jaccard = clusterwise_jaccard(clusters, refit)
                ari = stability_ari(labels, refit)
            for j, child_id in enumerate(child_ids):
                rows.append(
                    {
                        "segment_id": child_id,
                        "parent_segment_id": split.parent_segment_id,
                        "cohort": str(cohort),
                        "n_cohort_users": len(inside),
                        "n_segment_users": int(counts[j]),
                        "share_in_cohort": counts[j] / len(inside),
                        "share_overall": float(overall[j]),
                        "jaccard": jaccard.get(j, np.nan),
                        "cohort_ari": ari,
                    }
                )
        return pd.DataFrame(rows, columns=COHORT_COLUMNS)


def _noise_children(split: Split) -> np.ndarray:
    """Which children are the unassigned-noise segment (<parent>.0): no cluster, no Jaccard."""
    return np.array([child.split(".")[-1] == "0" for child in split.child_ids])
