"""Why a user is in a segment: XGBoost surrogates per split of the tree, explained with SHAP.

At every node that split, one XGBoost classifier per child learns "this child or one of
its siblings" from the node's users, on the curated features before any reduction (the
preprocessor's output: imputed, log-transformed, scaled, one-hot; never PCA or UMAP
coordinates), so the explanations speak in features a person knows.

* **Fidelity.** Each node's users are sampled (at most ``train_sample_size``, every
  child keeping at least ``min_class_sample`` users) and split into training and
  held-out rows (``test_share``, per child). The surrogates' joint prediction (the child
  whose classifier is most sure) on the held-out rows gives per child accuracy,
  precision, recall and F1, the node's accuracy and macro-F1, and a confusion matrix:
  the validation of the 002 article with a stronger model.
* **Explanations.** SHAP ``TreeExplainer`` on at most ``shap_sample_size`` members and as
  many non-members of each child: mean absolute SHAP over the members ranks the
  features; one-hot levels add up to their feature. ``direction`` says whether higher
  values of a numeric feature push users into the segment (``higher``) or out
  (``lower``), the sign of the correlation of the feature with its SHAP value; for a
  categorical, ``top_level`` is the level that pushes members in the most.

Samples are bounded, so the cost does not grow with the number of users; only the
sampled rows are transformed. The fitted surrogates are kept (``models_``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.metrics import f1_score, precision_recall_fscore_support

from ._validation import check_number, check_seed, derive_seed
from .diagnostics import concat_tables
from .hierarchy import Split, splits_of

EXPLANATION_COLUMNS = [
    "segment_id",
    "parent_segment_id",
    "feature_name",
    "mean_abs_shap",
    "share_of_importance",
    "mean_shap",
    "direction",
    "top_level",
    "rank_in_segment",
    "n_users_explained",
]
FIDELITY_COLUMNS = [
    "segment_id",
    "parent_segment_id",
    "n_users_trained",
    "n_users_held_out",
    "n_members_held_out",
    "surrogate_accuracy",
    "surrogate_precision",
    "surrogate_recall",
    "surrogate_f1",
    "split_accuracy",
    "split_macro_f1",
]
CONFUSION_COLUMNS = ["parent_segment_id", "actual_segment_id", "predicted_segment_id", "n_users"]


class SegmentExplainer(BaseEstimator):
    """One-vs-rest XGBoost surrogates per split of the segment tree, with SHAP.

    Parameters
    ----------
    preprocessor : fitted Preprocessor
        The segmentation's own preprocessor (``SegmentTree.preprocessor_``).
    n_estimators, max_depth, learning_rate : XGBoost settings, default 200, 4, 0.1
    train_sample_size : int, default=20_000
        Most users of a node the surrogates see (training plus held-out).
    min_class_sample : int, default=300
        Each child keeps at least this many users in the sample (all when it has fewer).
    test_share : float, default=0.25
        Share of each child's sampled users held out for fidelity.
    shap_sample_size : int, default=500
        Members (and as many non-members) of each child that SHAP explains.
    n_jobs : int, default=2
    random_state : int or None, default=0

    Attributes
    ----------
    explanations_, fidelity_, confusion_ : DataFrame (columns in this module's constants)
    models_ : dict
        ``(split segment id, child segment id) -> fitted XGBClassifier``.
    feature_names_ : list of str
        The preprocessor's output columns the surrogates were trained on.
    """

    def __init__(
        self,
        preprocessor=None,
        n_estimators=200,
        max_depth=4,
        learning_rate=0.1,
        train_sample_size=20_000,
        min_class_sample=300,
        test_share=0.25,
        shap_sample_size=500,
        n_jobs=2,
        random_state=0,
    ):
        self.preprocessor = preprocessor
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.train_sample_size = train_sample_size
        self.min_class_sample = min_class_sample
        self.test_share = test_share
        self.shap_sample_size = shap_sample_size
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _validate_params(self) -> int:
        if self.preprocessor is None or not hasattr(self.preprocessor, "feature_names_out_"):
            raise ValueError("invalid value for parameter 'preprocessor': a fitted Preprocessor")
        check_number("n_estimators", self.n_estimators, low=1, integer=True)
        check_number("max_depth", self.max_depth, low=1, integer=True)
        check_number("learning_rate", self.learning_rate, low=0.0, low_inclusive=False)
        check_number("train_sample_size", self.train_sample_size, low=20, integer=True)
        check_number("min_class_sample", self.min_class_sample, low=1, integer=True)
        check_number("test_share", self.test_share, low=0.05, high=0.5)
        check_number("shap_sample_size", self.shap_sample_size, low=10, integer=True)
        check_number("n_jobs", self.n_jobs, low=1, integer=True)
        return check_seed("random_state", self.random_state)

    def fit(self, X: pd.DataFrame, y):
        """``X``: the segmented features table; ``y``: each row's leaf segment id."""
        seed = self._validate_params()
        y = np.asarray(y, dtype=str)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)} segment ids")
        self.feature_names_ = list(self.preprocessor.feature_names_out_)
        self.models_ = {}
        explanations, fidelity, confusion = [], [], []
        for split in splits_of(y):
            e, f, c = self._fit_split(X, split, derive_seed(seed, split.segment_id))
            explanations.append(e)
            fidelity.append(f)
            confusion.append(c)
        self.explanations_ = concat_tables(explanations, EXPLANATION_COLUMNS)
        self.fidelity_ = concat_tables(fidelity, FIDELITY_COLUMNS)
        self.confusion_ = concat_tables(confusion, CONFUSION_COLUMNS)
        return self

    def tables(self) -> dict[str, pd.DataFrame]:
        """The fitted tables by name (what the dbt Python models return)."""
        return {
            "explanations": self.explanations_,
            "fidelity": self.fidelity_,
            "confusion": self.confusion_,
        }

    # ------------------------------------------------------------------ split
    def _sample(self, split: Split, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions into split.rows, and whether each is held out, stratified by child."""
        rng = np.random.default_rng(seed)
        n = len(split.rows)
        picked, held_out = [], []
        for j in range(len(split.child_ids)):
            members = np.flatnonzero(split.child == j)
            quota = round(self.train_sample_size * len(members) / n)
            take = min(len(members), max(quota, int(self.min_class_sample)))
            chosen = rng.choice(members, size=take, replace=False)
            n_test = int(round(self.test_share * take)) if take >= 4 else 0
            picked.append(chosen)
            held_out.append(np.arange(take) < n_test)
        return np.concatenate(picked), np.concatenate(held_out)

    def _fit_split(self, X, split: Split, seed: int):
        from xgboost import XGBClassifier

        pos, is_test = self._sample(split, seed)
        Z = self.preprocessor.transform(X.iloc[split.rows[pos]]).to_numpy(dtype=np.float64)
        label = split.child[pos]
        train, test = ~is_test, is_test
        k = len(split.child_ids)
        proba = np.zeros((int(test.sum()), k))
        models = []
        for j, child_id in enumerate(split.child_ids):
            target = (label == j).astype(np.int32)
            if target[train].min() == target[train].max():
                models.append(None)  # no member (or only members) to learn from
                continue
            model = XGBClassifier(
                n_estimators=int(self.n_estimators),
                max_depth=int(self.max_depth),
                learning_rate=float(self.learning_rate),
                tree_method="hist",
                n_jobs=int(self.n_jobs),
                random_state=derive_seed(seed, child_id),
            )
            model.fit(Z[train], target[train])
            if test.any():
                proba[:, j] = model.predict_proba(Z[test])[:, 1]
            models.append(model)
            self.models_[(split.segment_id, child_id)] = model

        actual = label[test]
        predicted = proba.argmax(axis=1)
        fidelity = self._fidelity(split, actual, predicted, label, train)
        confusion = pd.DataFrame(
            {
                "parent_segment_id": split.parent_segment_id,
                "actual_segment_id": np.asarray(split.child_ids)[actual],
                "predicted_segment_id": np.asarray(split.child_ids)[predicted],
            }
        )
        confusion = (
            confusion.groupby(
                ["parent_segment_id", "actual_segment_id", "predicted_segment_id"], dropna=False
            )
            .size()
            .rename("n_users")
            .reset_index()
        )
        explanations = [
            self._explain(split, j, model, Z, label, derive_seed(seed, "shap", j))
            for j, model in enumerate(models)
            if model is not None
        ]
        return concat_tables(explanations, EXPLANATION_COLUMNS), fidelity, confusion

    def _fidelity(self, split, actual, predicted, label, train) -> pd.DataFrame:
        k = len(split.child_ids)
        classes = np.arange(k)
        precision, recall, f1, support = precision_recall_fscore_support(
            actual, predicted, labels=classes, zero_division=0
        )
        present = classes[support > 0]
        macro = (
            float(f1_score(actual, predicted, labels=present, average="macro", zero_division=0))
            if len(present)
            else np.nan
        )
        rows = []
        for j, child_id in enumerate(split.child_ids):
            rows.append(
                {
                    "segment_id": child_id,
                    "parent_segment_id": split.parent_segment_id,
                    "n_users_trained": int((label[train] == j).sum()),
                    "n_users_held_out": len(actual),
                    "n_members_held_out": int(support[j]),
                    "surrogate_accuracy": float(np.mean((actual == j) == (predicted == j)))
                    if len(actual)
                    else np.nan,
                    "surrogate_precision": float(precision[j]) if support[j] else np.nan,
                    "surrogate_recall": float(recall[j]) if support[j] else np.nan,
                    "surrogate_f1": float(f1[j]) if support[j] else np.nan,
                    "split_accuracy": float(np.mean(actual == predicted))
                    if len(actual)
                    else np.nan,
                    "split_macro_f1": macro,
                }
            )
        return pd.DataFrame(rows, columns=FIDELITY_COLUMNS)

    def _explain(self, split, j, model, Z, label, seed) -> pd.DataFrame:
        import shap

        rng = np.random.default_rng(seed)
        m = int(self.shap_sample_size)
        members, others = np.flatnonzero(label == j), np.flatnonzero(label != j)
        members = rng.choice(members, size=min(m, len(members)), replace=False)
        others = rng.choice(others, size=min(m, len(others)), replace=False)
        rows = np.concatenate([members, others])
        Zs = Z[rows]
        values = np.asarray(shap.TreeExplainer(model).shap_values(Zs), dtype=np.float64)
        is_member = np.arange(len(rows)) < len(members)
        out = []
        for feature, cols in self.preprocessor.feature_groups_:
            contribution = values[:, cols].sum(axis=1)
            names = [self.feature_names_[c] for c in cols]
            categorical = any("=" in name and name.startswith(feature + "=") for name in names)
            if categorical:
                level_push = values[is_member][:, cols].mean(axis=0)
                best = int(np.argmax(level_push))
                top_level = names[best].split("=", 1)[1] if level_push[best] > 0 else None
                direction = "level" if top_level is not None else None
            else:
                direction = _direction(Zs[:, cols[0]], values[:, cols[0]])
                top_level = None
            out.append(
                {
                    "feature_name": feature,
                    "mean_abs_shap": float(np.abs(contribution[is_member]).mean()),
                    "mean_shap": float(contribution[is_member].mean()),
                    "direction": direction,
                    "top_level": top_level,
                }
            )
        table = pd.DataFrame(out)
        total = table["mean_abs_shap"].sum()
        table["share_of_importance"] = table["mean_abs_shap"] / total if total > 0 else 0.0
        table = table.sort_values(["mean_abs_shap", "feature_name"], ascending=[False, True])
        table["rank_in_segment"] = np.arange(1, len(table) + 1)
        table["segment_id"] = split.child_ids[j]
        table["parent_segment_id"] = split.parent_segment_id
        table["n_users_explained"] = len(members)
        return table[EXPLANATION_COLUMNS].reset_index(drop=True)


def _direction(values: np.ndarray, shap_values: np.ndarray) -> str | None:
    """higher / lower: does a higher feature value push users into the segment or out?"""
    if np.ptp(values) == 0 or np.ptp(shap_values) == 0:
        return None
    return "higher" if np.corrcoef(values, shap_values)[0, 1] >= 0 else "lower"
