from segscope.quality.criteria import checks, summarize


def _records(dataset, kind, method, leaf, top=None, splits=None):
    splits = splits if splits is not None else [True] * len(leaf)
    return [{"dataset": dataset, "kind": kind, "seed": s, "method": method, "n": 100,
             "top_ari": (top or leaf)[s], "leaf_ari": leaf[s], "segments": 2 if splits[s] else 1,
             "root_split": splits[s], "seconds": 1.0} for s in range(len(leaf))]


def test_segscope_is_judged_against_the_best_non_oracle_baseline():
    records = (_records("blobs", "structured", "segscope", [0.90, 0.91, 0.92])
               + _records("blobs", "structured", "gmm_bic", [0.93, 0.93, 0.93])
               + _records("blobs", "structured", "kmeans_true_k", [1.0, 1.0, 1.0]))
    verdict = checks(summarize(records)).iloc[0]
    assert verdict["vs_baseline"]  # 0.91 >= 0.93 - 0.02; the oracle's 1.0 does not count
    records += _records("blobs", "structured", "umap_hdbscan", [0.95, 0.95, 0.95])
    assert not checks(summarize(records)).iloc[0]["vs_baseline"]


def test_floors_false_splits_and_root_agreement():
    records = (_records("digits", "structured", "segscope", [0.84, 0.86, 0.90])
               + _records("gaussian", "null", "segscope", [1.0] * 5,
                          splits=[False, False, False, False, True])
               + _records("wine", "structured", "segscope", [0.9] * 5,
                          splits=[True, True, True, False, False]))
    verdicts = checks(summarize(records)).set_index("dataset")
    assert verdicts.loc["digits", "floor"]  # median 0.86 >= 0.85
    assert not verdicts.loc["gaussian", "no_false_split"]
    assert verdicts.loc["gaussian", "root_stable"]  # 4 of 5 the same
    assert not verdicts.loc["wine", "root_stable"]  # 3 of 5
    assert verdicts.loc["wine", "no_false_split"] is None
