"""Your events, your features: the event-level features come from the user's own event names
(int_event_types, user_event_features), are listed in feature_catalog, can be pinned, allowed,
denied and kept out by the leakage rules; the value column is summed as a neutral measure with
negative values apart."""

from __future__ import annotations

import duckdb
import pytest

from data_layer.test_var_checks import verdicts
from segscope.cli import main as segscope
from shop_log import EVENT_NAMES, SHOP_VARS, write_shop

ODD_NAME = """it's "odd"; --"""


@pytest.fixture
def shop(project_class, tmp_path):
    """A project over the shop log alone (no demo tables), with one oddly spelled event."""
    project = project_class(tmp_path / "shop")
    with duckdb.connect(str(project.db)) as con:
        write_shop(con, n_users=1500, seed=3)
        # a name with quotes must stay text: 40 users do it once, on their first day
        con.execute("""insert into shop.activity
            select 'odd-' || customer_ref, customer_ref, ?, first_seen + interval 1 hour,
                   null, null
            from shop.customers order by customer_ref limit 40""", [ODD_NAME])
    return project


def event_types(project) -> dict[str, tuple]:
    rows = project.query("select event_name, is_selected, selection_rank, selection_reason, "
                         "feature_stem from int_event_types")
    return {name: rest for name, *rest in rows}


def catalog(project, schema: str = "main") -> list[tuple]:
    return project.query(f"select feature_name, kind, transform, computed_from, event_name "
                         f"from {schema}.feature_catalog order by feature_position")


def test_a_shop_log_gets_features_from_its_own_event_names(shop):
    result = shop.build(vars=SHOP_VARS)
    assert result.returncode == 0, result.output[-3000:]
    chosen = event_types(shop)
    assert {name for name, (selected, *_) in chosen.items() if selected} >= set(EVENT_NAMES)
    ranks = sorted((rank, name) for name, (selected, rank, *_) in chosen.items() if selected)
    assert [rank for rank, _ in ranks] == list(range(1, len(ranks) + 1))
    features = catalog(shop)
    generated = {name: (kind, transform, event) for name, kind, transform, source, event
                 in features if source == "event_types"}
    assert generated["n_purchase"] == ("count", "log1p", "purchase")
    assert generated["value_purchase"] == ("numeric", "log1p", "purchase")
    assert generated["negative_value_return_item"] == ("numeric", "log1p", "return_item")
    assert "value_view_item" not in generated, "view_item carries no value"
    assert "share_purchase" not in generated, "share is not a default measure"
    # no demo event name anywhere in the catalog
    assert not [name for name, *_ in features if "video" in name or "exercise" in name]
    (returners_refunds, others_refunds), = shop.query("""
        select avg(case when truth.persona = 'returners' then total_negative_value end),
               avg(case when truth.persona != 'returners' then total_negative_value end)
        from user_features join shop.persona_truth as truth
            on truth.customer_ref = user_features.user_id""")
    assert returners_refunds > 50 and others_refunds == 0
    (purchases_match,), = shop.query("""
        select count(*) = count(case when features.value_purchase = raw.spent then 1 end)
        from user_event_features as features
        join (select user_id, coalesce(sum(case when event_name = 'purchase' and event_value > 0
                                              then event_value end), 0) as spent
              from int_events__in_window group by user_id) as raw using (user_id)""")
    assert purchases_match
    # segmented on them: the fit read every generated feature
    (n_input_columns,), = shop.query(
        "select count(*) from information_schema.columns where table_schema = 'main' "
        "and table_name = 'segmentation_input' and column_name like 'n\\_%' escape '\\'")
    assert n_input_columns >= len(EVENT_NAMES) + 1


def test_the_odd_name_is_text_not_sql(shop):
    result = shop.build_data_layer(vars={**SHOP_VARS, "segscope_event_types_min_user_share": 0})
    assert result.returncode == 0, result.output[-3000:]
    selected, _, _, stem = event_types(shop)[ODD_NAME]
    assert selected and stem == "it_s_odd"
    (n,), = shop.query('select sum(n_it_s_odd) from main_unpublished.user_event_features')
    with duckdb.connect(str(shop.db), read_only=True) as con:
        (expected,), = con.execute("select count(*) from int_events__in_window "
                                   "where event_name = ?", [ODD_NAME]).fetchall()
    assert n == expected > 30


def test_top_k_allow_deny_and_coverage_choose_the_names(shop):
    result = shop.build_data_layer(vars={
        **SHOP_VARS,
        "segscope_event_types_top_k": 3,
        "segscope_event_types_allow": [name for name in EVENT_NAMES if name != "search"],
        "segscope_event_types_deny": ["open"],
        "segscope_event_types_min_user_share": 0.05,
    })
    assert result.returncode == 0, result.output[-3000:]
    chosen = event_types(shop)
    assert chosen["open"][2] == "in segscope_event_types_deny"
    assert chosen["search"][2] == "not in segscope_event_types_allow"
    assert chosen[ODD_NAME][2] == "not in segscope_event_types_allow"
    selected = sorted((rank, name) for name, (is_selected, rank, *_) in chosen.items()
                      if is_selected)
    assert len(selected) == 3
    # the three most widespread of what is left, most widespread first
    shares = dict(shop.query("select event_name, user_share from int_event_types"))
    left = sorted((n for n in EVENT_NAMES if n not in ("open", "search")),
                  key=lambda n: (-shares[n], n))
    assert [name for _, name in selected] == left[:3]
    assert all("beyond the top 3" in chosen[name][2] for name in left[3:])


def test_a_pinned_list_fixes_the_columns_and_their_order(shop):
    pinned = ["purchase", "never_happens", "view_item"]
    result = shop.build_data_layer(vars={**SHOP_VARS, "segscope_event_types": pinned})
    assert result.returncode == 0, result.output[-3000:]
    columns = [name for name, *_ in shop.query(
        "select column_name from information_schema.columns where table_schema = "
        "'main_unpublished' and table_name = 'user_event_features' order by ordinal_position")]
    assert columns == ["user_id", "n_purchase", "value_purchase", "n_never_happens",
                       "n_view_item"]
    assert shop.query("select max(n_never_happens) from main_unpublished.user_event_features") \
        == [(0,)]
    assert event_types(shop)["open"][2] == "not in segscope_event_types (pinned)"


def test_an_outcome_event_is_no_feature_and_pinning_it_fails_the_gate(shop):
    shop.execute("""insert into shop.activity
        select 'cancel-' || customer_ref, customer_ref, 'subscription_cancelled',
               first_seen + interval 2 day, null, null
        from shop.customers order by customer_ref limit 300""")
    result = shop.build_data_layer(vars=SHOP_VARS)
    assert result.returncode == 0, result.output[-3000:]
    selected, _, reason, _ = event_types(shop)["subscription_cancelled"]
    assert not selected and reason.startswith("leakage rule: cancelling is the outcome")

    pinned = shop.build_data_layer(vars={
        **SHOP_VARS, "segscope_event_types": ["purchase", "subscription_cancelled"]})
    assert pinned.returncode != 0
    assert pinned.status("gate_user_event_features_no_leakage") == "fail"
    leaks = shop.failures_of("gate_user_event_features_no_leakage")
    assert ("event_name", "n_subscription_cancelled", "event_name",
            "%subscription_cancel%") in [row[1:5] for row in leaks]


def test_segscope_catalog_shows_and_pins_the_choice(shop, capsys):
    result = shop.build_data_layer(vars={**SHOP_VARS, "segscope_event_types_top_k": 4})
    assert result.returncode == 0, result.output[-3000:]
    assert segscope(["catalog", "--db", str(shop.db)]) == 0
    shown = capsys.readouterr().out
    assert "4 became features" in shown and "beyond the top 4" in shown
    assert segscope(["catalog", "--db", str(shop.db), "--pin"]) == 0
    line = capsys.readouterr().out.strip()
    chosen = sorted((rank, name) for name, (selected, rank, *_) in event_types(shop).items()
                    if selected)
    assert line == "segscope_event_types: [" + ", ".join(
        f'"{name}"' for _, name in chosen) + "]"


def test_event_type_and_category_vars_are_checked_when_dbt_parses(tmp_path):
    accepted = [("segscope_event_types", "auto"), ("segscope_event_types", ["a", ODD_NAME]),
                ("segscope_event_types", []), ("segscope_event_types_allow", None),
                ("segscope_event_types_deny", ["x"]),
                ("segscope_event_type_measures", ["count", "share", "value"]),
                ("segscope_item_category_separator", "|"),
                ("segscope_item_category_separator", None),
                ("segscope_item_categories_min_user_share", 0)]
    rejected = [("segscope_event_types", "all"), ("segscope_event_types", [1]),
                ("segscope_event_types", ["a", "a"]), ("segscope_event_types", [""]),
                ("segscope_event_types_allow", "view"), ("segscope_event_types_deny", None),
                ("segscope_event_type_measures", ["clicks"]),
                ("segscope_event_type_measures", "count"),
                ("segscope_event_types_top_k", 0), ("segscope_value_label", ""),
                ("segscope_item_category_separator", ""),
                ("segscope_item_categories_top_k", 2.5),
                ("segscope_item_categories_min_user_share", 1.5)]
    said = verdicts(accepted + rejected, tmp_path / "unused.duckdb")
    assert said[:len(accepted)] == [None] * len(accepted)
    for (name, value), message in zip(rejected, said[len(accepted):], strict=True):
        assert message is not None and message.startswith(f"var {name}: got "), (value, message)
