"""Feature preprocessing: from a one-row-per-user table to a numeric matrix.

``Preprocessor`` turns the user feature table into the scaled matrix every later
stage works on, and flags outliers. Steps, in order (each recorded in ``log_``):

1. **Validation.** The key column must exist, be non-null and unique; there must be
   at least ``min_rows`` rows; ``inf`` anywhere raises (naming the column); a column
   that is entirely missing raises (it cannot be imputed); catalog features missing
   from the table raise.
2. **Imputation.** Numeric columns: the median of the fitted data. Categorical
   columns: a ``__missing__`` level.
3. **Transform.** ``log1p`` when the catalog says so. When the catalog gives no
   transform (missing / empty / ``auto``), counts and durations (and, without a
   catalog, non-negative integer columns) get ``log1p`` if they are heavy-tailed
   (skewness above ``heavy_tail_skew``).
4. **Robust scaling.** ``(x - median) / (IQR / 1.349)``, so a Gaussian column ends
   with unit spread; when the IQR is zero (zero-inflated counts) the standard
   deviation is used instead.
5. **One-hot** for categoricals; levels rarer than ``rare_level_share`` (and those
   beyond the ``max_levels`` most frequent) are grouped into ``__other__``.
6. **Dropping** constant columns (reason ``constant``) and duplicates (absolute
   correlation >= ``duplicate_corr`` with an earlier kept column, reason
   ``duplicate of <col>``). If every feature is constant, or none is usable, ``fit``
   raises.
7. **Outliers.** The score is the Mahalanobis distance of a row over the scaled numeric
   columns (before capping; directions of near-zero variance are left out). A largest
   absolute z-score would call a whole persona "outliers" whenever a zero-inflated count
   (most users at 0, a sizeable minority far above) gets a small scale; the Mahalanobis
   distance measures each direction against the covariance of everyone, so a large
   minority stays in and a small group far off the joint shape (bots) stands out. The
   rows above the ``outlier_quantile`` quantile of the fitted scores are flagged in
   ``is_outlier_``. ``outlier_policy`` says what
   the rest of the pipeline does with them: ``flag`` (only flag), ``exclude`` (left
   out of every fit, then scored like any other user), ``cap`` (scaled values are
   winsorised at the ``1 - q`` / ``q`` quantiles of the fitted data) or
   ``own_segment`` (put in their own segment by the tree). The preprocessor itself
   only implements ``cap``; the others are carried out by the ``SegmentTree``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from ._validation import check_choice, check_number

KINDS = ("count", "ratio", "share", "duration", "recency", "categorical", "numeric")
TRANSFORMS = ("log1p", "none", "onehot")


def _count_jitter(keys: pd.Series, column: str) -> np.ndarray:
    """Uniform [0, 1) noise per (user, column), the same every time for the same user.

    Counts are discretised rates: users with 0, 1 or 2 events form exact lumps that any
    clustering happily separates. Spreading each count over [n, n + 1) (dequantisation) keeps
    the order and the scale of counts but removes those artificial lumps."""
    hashed = pd.util.hash_pandas_object(keys.reset_index(drop=True), index=False).to_numpy()
    salt = np.uint64(int(pd.util.hash_array(np.array([column], dtype=object))[0]))
    mixed = (hashed ^ salt) * np.uint64(0x9E3779B97F4A7C15)
    return (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53)
OUTLIER_POLICIES = ("flag", "exclude", "cap", "own_segment")
_AUTO_TRANSFORM = ("", "auto")
_MISSING_LEVEL = "__missing__"
_OTHER_LEVEL = "__other__"


def _skewness(x: np.ndarray) -> float:
    sd = x.std()
    if sd == 0:
        return 0.0
    return float(np.mean(((x - x.mean()) / sd) ** 3))


class Preprocessor(TransformerMixin, BaseEstimator):
    """Impute, transform, scale and one-hot user features; flag outliers.

    Parameters
    ----------
    catalog : DataFrame or None, default=None
        One row per feature with columns ``name``, ``kind`` (one of ``KINDS``) and
        optionally ``transform`` (one of ``TRANSFORMS``, or missing for automatic).
        Only the listed features are used; other non-key columns are ignored and
        recorded in ``dropped_columns_`` with reason ``not in catalog``. An optional column
        ``drop_reason`` drops a listed feature before any step, with that reason (the data
        layer knows when a feature carries no information, e.g. a smoothed share whose raw
        value is the same for every user). Without a
        catalog every non-key column is a feature: numeric dtypes are ``numeric``,
        everything else ``categorical``.
    key : str, default="user_id"
        The user key column; it must be unique and non-null.
    outlier_policy : {"flag", "exclude", "cap", "own_segment"}, default="flag"
    outlier_quantile : float in (0.5, 1), default=0.99
        Rows whose outlier score is above this quantile are outliers.
    min_rows : int, default=10
    rare_level_share : float, default=0.01
    max_levels : int, default=20
    heavy_tail_skew : float, default=2.0
    duplicate_corr : float, default=0.9999

    Attributes
    dequantize_counts : bool, default=True
        Spread every count over [n, n + 1) with noise fixed per user and column, so users with
        0, 1 or 2 events are not exact lumps a clustering splits apart.
    ----------
    feature_names_in_ : list of str
        The features considered (before dropping).
    feature_names_out_ : list of str
        Columns of the transformed matrix.
    dropped_columns_ : list of (column, reason)
    feature_groups_ : list of (feature, [output column positions])
        The output columns each input feature became (several for a one-hot).
    columns_ : DataFrame
        One row per input feature: kind, transform, median, center, scale, levels.
    outlier_score_ : ndarray
        Score of every fitted row.
    outlier_threshold_ : float
    is_outlier_ : ndarray of bool
    log_ : DataFrame
        ``step, name, detail, value`` rows describing what was done.
    """

    def __init__(
        self,
        catalog=None,
        key="user_id",
        outlier_policy="flag",
        outlier_quantile=0.99,
        min_rows=10,
        rare_level_share=0.01,
        max_levels=20,
        heavy_tail_skew=2.0,
        duplicate_corr=0.9999,
        dequantize_counts=True,
    ):
        self.catalog = catalog
        self.key = key
        self.outlier_policy = outlier_policy
        self.outlier_quantile = outlier_quantile
        self.min_rows = min_rows
        self.rare_level_share = rare_level_share
        self.max_levels = max_levels
        self.heavy_tail_skew = heavy_tail_skew
        self.duplicate_corr = duplicate_corr
        self.dequantize_counts = dequantize_counts

    # ------------------------------------------------------------------ params
    def _validate_params(self) -> None:
        if not isinstance(self.key, str) or not self.key:
            raise ValueError(
                f"invalid value for parameter 'key': {self.key!r}; expected a column name"
            )
        check_choice("outlier_policy", self.outlier_policy, OUTLIER_POLICIES)
        check_number(
            "outlier_quantile",
            self.outlier_quantile,
            low=0.5,
            high=1.0,
            low_inclusive=False,
            high_inclusive=False,
        )
        check_number("min_rows", self.min_rows, low=2, integer=True)
        check_number("rare_level_share", self.rare_level_share, low=0.0, high=0.5)
        check_number("max_levels", self.max_levels, low=1, integer=True)
        check_number("heavy_tail_skew", self.heavy_tail_skew, low=0.0)
        check_number("duplicate_corr", self.duplicate_corr, low=0.5, high=1.0)

    def _resolve_catalog(self, X: pd.DataFrame) -> pd.DataFrame:
        """Return a catalog with columns name, kind, transform ('' = automatic)."""
        if self.catalog is None:
            rows = []
            for col in X.columns:
                if col == self.key:
                    continue
                s = X[col]
                numeric = pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)
                rows.append({"name": col, "kind": "numeric" if numeric else "categorical",
                             "transform": "", "drop_reason": ""})
            return pd.DataFrame(rows, columns=["name", "kind", "transform", "drop_reason"])
        cat = self.catalog
        if not isinstance(cat, pd.DataFrame):
            raise ValueError(
                "catalog must be a pandas DataFrame with columns name, kind, transform"
            )
        missing = [c for c in ("name", "kind") if c not in cat.columns]
        if missing:
            raise ValueError(f"catalog is missing required column(s): {missing}")
        out = pd.DataFrame({"name": cat["name"].astype(str), "kind": cat["kind"].astype(str)})
        if "transform" in cat.columns:
            tr = cat["transform"].astype(object)
            out["transform"] = [
                ""
                if (v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA)
                else str(v).strip().lower()
                for v in tr
            ]
        else:
            out["transform"] = ""
        out["drop_reason"] = [
            "" if pd.isna(v) else str(v).strip()
            for v in (cat["drop_reason"] if "drop_reason" in cat.columns else [None] * len(cat))
        ]
        out["kind"] = out["kind"].str.strip().str.lower()
        for _, row in out.iterrows():
            if row["kind"] not in KINDS:
                raise ValueError(
                    f"catalog feature {row['name']!r} has kind {row['kind']!r}; allowed kinds: "
                    + ", ".join(KINDS)
                )
            if row["transform"] not in TRANSFORMS + _AUTO_TRANSFORM:
                raise ValueError(
                    f"catalog feature {row['name']!r} has transform {row['transform']!r}; "
                    "allowed transforms: " + ", ".join(TRANSFORMS) + " (or empty for automatic)"
                )
            if (row["kind"] == "categorical") != (row["transform"] == "onehot") and (
                row["transform"] not in _AUTO_TRANSFORM
            ):
                raise ValueError(
                    f"catalog feature {row['name']!r}: transform 'onehot' goes with kind "
                    f"'categorical' and only with it (got kind {row['kind']!r}, transform "
                    f"{row['transform']!r})"
                )
        dup = out["name"][out["name"].duplicated()].tolist()
        if dup:
            raise ValueError(f"catalog lists feature(s) more than once: {dup}")
        if self.key in set(out["name"]):
            raise ValueError(f"catalog lists the key column {self.key!r} as a feature")
        absent = [n for n in out["name"] if n not in X.columns]
        if absent:
            raise ValueError(f"catalog feature(s) not found in the feature table: {absent}")
        return out.reset_index(drop=True)

    # --------------------------------------------------------------------- fit
    def _check_frame(self, X) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise ValueError("the feature table must be a pandas DataFrame")
        if self.key not in X.columns:
            raise ValueError(f"key column {self.key!r} not found in the feature table")
        keys = X[self.key]
        if keys.isna().any():
            raise ValueError(f"key column {self.key!r} has {int(keys.isna().sum())} null value(s)")
        if keys.duplicated().any():
            dups = keys[keys.duplicated()].head(5).tolist()
            raise ValueError(f"key column {self.key!r} is not unique (duplicates such as {dups})")
        return X

    @staticmethod
    def _numeric_column(X: pd.DataFrame, name: str) -> np.ndarray:
        s = X[name]
        if pd.api.types.is_bool_dtype(s):
            s = s.astype("float64")
        try:
            values = (
                pd.to_numeric(s, errors="raise")
                .astype("float64")
                .to_numpy(dtype=np.float64, na_value=np.nan)
            )
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"column {name!r} is declared numeric but holds non-numeric values"
            ) from exc
        values = np.array(values, dtype=np.float64, copy=True)
        if np.isinf(values).any():
            raise ValueError(
                f"column {name!r} contains {int(np.isinf(values).sum())} infinite value(s); "
                "inf cannot be imputed: fix the feature upstream"
            )
        return values

    def fit(self, X, y=None):
        self._validate_params()
        X = self._check_frame(X)
        n = len(X)
        if n < self.min_rows:
            raise ValueError(f"too few rows: got {n}, need at least min_rows={self.min_rows}")
        catalog = self._resolve_catalog(X)
        dropped: list[tuple[str, str]] = []
        log: list[dict] = []
        if self.catalog is not None:
            listed = set(catalog["name"])
            for col in X.columns:
                if col != self.key and col not in listed:
                    dropped.append((col, "not in catalog"))
        if catalog.empty:
            raise ValueError("no usable feature: the feature table has no feature column")
        told = catalog["drop_reason"] != ""
        uninformative = list(zip(catalog.loc[told, "name"], catalog.loc[told, "drop_reason"],
                                 strict=True))
        if told.all():
            raise ValueError(
                "no usable feature: the catalog says none carries information: "
                + "; ".join(f"{name}: {reason}" for name, reason in uninformative))
        dropped += uninformative

        specs: list[dict] = []
        for _, row in catalog[~told].iterrows():
            name, kind, transform = row["name"], row["kind"], row["transform"]
            is_cat = kind == "categorical" or transform == "onehot"
            spec = {"name": name, "kind": "categorical" if is_cat else kind}
            if is_cat:
                s = X[name].astype(object)
                s = s.where(s.notna(), _MISSING_LEVEL).astype(str)
                counts = s.value_counts()
                shares = counts / n
                keep = [
                    lvl
                    for lvl in counts.index[: self.max_levels]
                    if shares[lvl] >= self.rare_level_share
                ]
                n_other = int((~s.isin(keep)).sum())
                levels = sorted(keep) + ([_OTHER_LEVEL] if n_other > 0 else [])
                spec.update(transform="onehot", levels=levels)
                if len(levels) <= 1:
                    spec["drop"] = "constant"
                log.append(
                    {
                        "step": "onehot",
                        "name": name,
                        "detail": f"{len(levels)} level(s); {n_other} row(s) grouped into "
                        f"{_OTHER_LEVEL}",
                        "value": float(len(levels)),
                    }
                )
                specs.append(spec)
                continue
            values = self._numeric_column(X, name)
            n_missing = int(np.isnan(values).sum())
            if n_missing == n:
                raise ValueError(
                    f"column {name!r} is entirely missing: it cannot be imputed "
                    "(drop it from the catalog or fix it upstream)"
                )
            median = float(np.nanmedian(values))
            values[np.isnan(values)] = median
            if n_missing:
                log.append(
                    {
                        "step": "impute",
                        "name": name,
                        "detail": f"median ({n_missing} missing)",
                        "value": median,
                    }
                )
            raw_constant = bool(np.ptp(values) == 0)
            if kind == "count" and self.dequantize_counts and not raw_constant:
                values = values + _count_jitter(X[self.key], name)
            if transform in _AUTO_TRANSFORM:
                looks_count = kind in ("count", "duration") or (
                    self.catalog is None and bool(np.all(values == np.round(values)))
                )
                heavy = _skewness(values) > self.heavy_tail_skew
                transform = "log1p" if (looks_count and heavy and values.min() >= 0) else "none"
            if transform == "log1p":
                if values.min() < 0:
                    raise ValueError(
                        f"column {name!r} has negative values; "
                        "the log1p transform needs values >= 0"
                    )
                values = np.log1p(values)
            spec.update(transform=transform, median=median)
            if raw_constant:
                spec["drop"] = "constant"
            else:
                center = float(np.median(values))
                q1, q3 = np.quantile(values, [0.25, 0.75])
                scale = float((q3 - q1) / 1.349)
                if scale <= 1e-12:
                    scale = float(values.std())
                spec.update(center=center, scale=scale)
                z = (values - center) / scale
                lo, hi = np.quantile(z, [1 - self.outlier_quantile, self.outlier_quantile])
                spec.update(cap_low=float(lo), cap_high=float(hi))
            if transform == "log1p":
                log.append({"step": "transform", "name": name, "detail": "log1p", "value": np.nan})
            specs.append(spec)

        constant = [s["name"] for s in specs if s.get("drop") == "constant"]
        if len(constant) == len(specs):
            raise ValueError(
                f"all {len(specs)} feature(s) are constant, nothing to segment on: {constant}"
            )
        for name in constant:
            dropped.append((name, "constant"))

        # Duplicates: compare the scaled columns of the kept features.
        kept = [s for s in specs if "drop" not in s]
        matrix, names, owner = self._matrix(X, kept, cap=False)
        sample = matrix
        if len(sample) > 100_000:
            rng = np.random.default_rng(0)
            sample = sample[rng.choice(len(sample), 100_000, replace=False)]
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = np.corrcoef(sample, rowvar=False) if sample.shape[1] > 1 else np.ones((1, 1))
        corr = np.atleast_2d(corr)
        drop_cols: set[int] = set()
        for j in range(len(names)):
            if j in drop_cols:
                continue
            for i in range(j):
                if i in drop_cols:
                    continue
                if np.isfinite(corr[i, j]) and abs(corr[i, j]) >= self.duplicate_corr:
                    drop_cols.add(j)
                    dropped.append((names[j], f"duplicate of {names[i]}"))
                    break
        # A one-hot column that duplicates another is dropped as a column, not as a feature.
        self._kept_specs = kept
        self._drop_out_cols = {names[j] for j in drop_cols}
        self.feature_names_in_ = list(catalog["name"])
        self.feature_names_out_ = [c for c in names if c not in self._drop_out_cols]
        if not self.feature_names_out_:
            raise ValueError("no usable feature left after dropping constant and duplicate columns")
        self.dropped_columns_ = dropped
        self.columns_ = pd.DataFrame(
            [{k: (v if k != "levels" else "|".join(v)) for k, v in s.items()} for s in specs]
        )
        self.n_features_in_ = len(self.feature_names_in_)

        keep_idx = [j for j in range(len(names)) if j not in drop_cols]
        out_pos = {names[j]: i for i, j in enumerate(keep_idx)}
        groups = []
        for spec in kept:
            cols = (
                [f"{spec['name']}={lvl}" for lvl in spec["levels"]]
                if spec["transform"] == "onehot"
                else [spec["name"]]
            )
            idx = [out_pos[c] for c in cols if c in out_pos]
            if idx:
                groups.append((spec["name"], idx))
        self.feature_groups_ = groups
        scaled = matrix[:, keep_idx]
        numeric_mask = np.array([owner[j] for j in keep_idx])
        self._numeric_out = numeric_mask
        self._fit_score(scaled)
        self.outlier_score_ = self._score(scaled)
        self.outlier_threshold_ = float(np.quantile(self.outlier_score_, self.outlier_quantile))
        self.is_outlier_ = self.outlier_score_ > self.outlier_threshold_
        for col, reason in dropped:
            log.append({"step": "drop_column", "name": col, "detail": reason, "value": np.nan})
        log.append(
            {
                "step": "outliers",
                "name": "mahalanobis",
                "detail": f"policy={self.outlier_policy}; quantile={self.outlier_quantile}; "
                f"{int(self.is_outlier_.sum())} flagged",
                "value": self.outlier_threshold_,
            }
        )
        self.log_ = pd.DataFrame(log, columns=["step", "name", "detail", "value"])
        return self

    # --------------------------------------------------------------- transform
    def _matrix(self, X: pd.DataFrame, specs: list[dict], cap: bool):
        """Scaled matrix for ``specs``; returns (matrix, column names, is_numeric flags)."""
        cols, names, owner = [], [], []
        for spec in specs:
            name = spec["name"]
            if spec["transform"] == "onehot":
                s = X[name].astype(object)
                s = s.where(s.notna(), _MISSING_LEVEL).astype(str)
                levels = spec["levels"]
                known = set(levels) - {_OTHER_LEVEL}
                s = s.where(s.isin(known), _OTHER_LEVEL)
                for lvl in levels:
                    cols.append((s == lvl).to_numpy(dtype=np.float64))
                    names.append(f"{name}={lvl}")
                    owner.append(False)
                continue
            values = self._numeric_column(X, name)
            values[np.isnan(values)] = spec["median"]
            if spec["kind"] == "count" and self.dequantize_counts:
                values = values + _count_jitter(X[self.key], name)
            if spec["transform"] == "log1p":
                values = np.log1p(np.clip(values, 0, None))
            z = (values - spec["center"]) / spec["scale"]
            if cap:
                z = np.clip(z, spec["cap_low"], spec["cap_high"])
            cols.append(z)
            names.append(name)
            owner.append(True)
        matrix = np.column_stack(cols) if cols else np.empty((len(X), 0))
        return np.ascontiguousarray(matrix, dtype=np.float64), names, owner

    def _fit_score(self, scaled: np.ndarray) -> None:
        """Mean and eigenbasis of the scaled numeric columns' covariance (for ``_score``)."""
        S = scaled[:, self._numeric_out]
        if S.shape[1] == 0:
            self._score_basis = None
            return
        if len(S) > 100_000:
            S = S[np.random.default_rng(0).choice(len(S), 100_000, replace=False)]
        mean = S.mean(axis=0)
        cov = np.atleast_2d(np.cov(S, rowvar=False))
        w, V = np.linalg.eigh(cov)
        # leave out the directions of the last 1% of the variance: they are rounding and
        # discreteness, and dividing by their tiny variance would make everyone an outlier
        order = np.argsort(w)[::-1]
        w, V = w[order], V[:, order]
        share = np.cumsum(np.clip(w, 0, None)) / max(float(np.clip(w, 0, None).sum()), 1e-12)
        keep = np.arange(len(w)) <= int(np.searchsorted(share, 0.99 - 1e-12))
        keep &= w > 1e-9 * max(float(w.max()), 1e-12)
        self._score_basis = (mean, V[:, keep], w[keep])

    def _score(self, scaled: np.ndarray) -> np.ndarray:
        """Mahalanobis distance of each row over the scaled numeric columns."""
        if getattr(self, "_score_basis", None) is None:
            return np.zeros(len(scaled))
        mean, V, w = self._score_basis
        P = (scaled[:, self._numeric_out] - mean) @ V
        return np.sqrt((P**2 / w).sum(axis=1))

    def _check_fitted(self):
        if not hasattr(self, "feature_names_out_"):
            raise ValueError("this Preprocessor is not fitted yet: call fit first")

    def transform(self, X) -> pd.DataFrame:
        """Scaled features (capped when ``outlier_policy='cap'``), indexed by the key."""
        self._check_fitted()
        X = self._check_frame(X)
        missing = [s["name"] for s in self._kept_specs if s["name"] not in X.columns]
        if missing:
            raise ValueError(f"feature column(s) missing from the table: {missing}")
        matrix, names, _ = self._matrix(X, self._kept_specs, cap=self.outlier_policy == "cap")
        keep_idx = [j for j, c in enumerate(names) if c not in self._drop_out_cols]
        out = pd.DataFrame(matrix[:, keep_idx], columns=self.feature_names_out_)
        out.index = pd.Index(X[self.key].to_numpy(), name=self.key)
        return out

    def outlier_score(self, X) -> np.ndarray:
        """Outlier score of new rows (Mahalanobis distance, before capping)."""
        self._check_fitted()
        X = self._check_frame(X)
        matrix, names, _ = self._matrix(X, self._kept_specs, cap=False)
        keep_idx = [j for j, c in enumerate(names) if c not in self._drop_out_cols]
        return self._score(matrix[:, keep_idx])

    def is_outlier(self, X) -> np.ndarray:
        return self.outlier_score(X) > self.outlier_threshold_

    def get_feature_names_out(self, input_features=None):
        self._check_fitted()
        return np.asarray(self.feature_names_out_, dtype=object)
