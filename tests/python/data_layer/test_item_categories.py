"""Item categories as features: when the items table has a category column (one category per
item, or several split by a separator), the most widespread categories become
share_category_<name> features, listed in feature_catalog like every generated feature."""

from __future__ import annotations

import duckdb
import pytest

from segscope.cli import main as segscope
from shop_log import SHOP_VARS, write_shop

DEPARTMENTS = ("garden", "kitchen", "toys", "books")
ODD = "kid's \"best\""
DEPARTMENT_LIST = "[" + ", ".join(f"'{name}'" for name in DEPARTMENTS) + "]"
CATEGORY_VARS = {
    **SHOP_VARS,
    "segscope_items_table": "products",
    "segscope_items_columns": {"item_id": "sku", "item_label": "title",
                               "item_category": "departments"},
    "segscope_item_category_separator": ";",
}


@pytest.fixture
def shop(project_class, tmp_path):
    """The shop log with a products table: every SKU in one department, every tenth also on
    'sale', every seventh also in an oddly spelled category."""
    project = project_class(tmp_path / "shop")
    with duckdb.connect(str(project.db)) as con:
        write_shop(con, n_users=800, seed=6)
        con.execute(f"""create table shop.products as
            select sku, 'Product ' || sku as title,
                   ({DEPARTMENT_LIST})[code % 4 + 1]
                   || case when code % 10 = 0 then ';sale' else '' end
                   || case when code % 7 = 0 then ? else '' end as departments
            from (select distinct sku, cast(substr(sku, 5) as integer) as code
                  from shop.activity)""", [";" + ODD])
    return project


def categories(project) -> dict[str, tuple]:
    rows = project.query("select category, is_selected, selection_rank, selection_reason, "
                         "feature_stem from int_item_categories")
    return {name: tuple(rest) for name, *rest in rows}


def test_categories_become_shares_of_the_users_item_events(shop):
    result = shop.build_data_layer(vars=CATEGORY_VARS)
    assert result.returncode == 0, result.output[-3000:]
    chosen = categories(shop)
    assert set(chosen) == {*DEPARTMENTS, "sale", ODD}
    assert all(selected for selected, *_ in chosen.values())
    assert chosen[ODD][3] == "kid_s_best"
    generated = shop.query("select feature_name, kind, transform from feature_catalog "
                           "where computed_from = 'item_categories' order by feature_position")
    assert [name for name, *_ in generated] == [
        "share_category_" + stem for *_, stem in sorted(chosen.values(), key=lambda c: c[1])]
    assert {(kind, transform) for _, kind, transform in generated} == {("share", "none")}
    # a recount from the raw tables: every shop event is inside its customer's window
    mismatches = shop.query("""
        with recount as (
            select activity.customer_ref as user_id,
                   avg(case when products.departments like '%sale%' then 1.0 else 0.0 end)
                       as sale,
                   avg(case when products.departments like '%kid''s%' then 1.0 else 0.0 end)
                       as odd
            from shop.activity
            inner join shop.products on activity.sku = products.sku
            group by activity.customer_ref
        )
        select user_id from user_event_features inner join recount using (user_id)
        where abs(share_category_sale - recount.sale) > 1e-9
            or abs(share_category_kid_s_best - recount.odd) > 1e-9""")
    assert mismatches == []
    (spread,), = shop.query("select max(share_category_sale) - min(share_category_sale) "
                            "from user_event_features")
    assert spread > 0.2


def test_top_k_and_coverage_choose_the_categories(shop, capsys):
    result = shop.build_data_layer(vars={**CATEGORY_VARS, "segscope_item_categories_top_k": 2})
    assert result.returncode == 0, result.output[-3000:]
    chosen = categories(shop)
    users = dict(shop.query("select category, n_users from int_item_categories"))
    widest = sorted(users, key=lambda name: (-users[name], name))
    assert sorted((rank, name) for name, (selected, rank, *_) in chosen.items() if selected) \
        == [(1, widest[0]), (2, widest[1])]
    assert all("beyond the top 2" in chosen[name][2] for name in widest[2:])
    assert segscope(["catalog", "--db", str(shop.db)]) == 0
    assert "6 item categories, 2 became share_category_ features" in capsys.readouterr().out

    (eligible,), = shop.query("select count(*) from user_features")
    rarer = users[ODD] / eligible + 0.001
    result = shop.build_data_layer(vars={
        **CATEGORY_VARS, "segscope_item_categories_min_user_share": rarer})
    assert result.returncode == 0, result.output[-3000:]
    assert "on fewer than" in categories(shop)[ODD][2]


def test_without_a_separator_the_whole_value_is_the_category(shop):
    result = shop.build_data_layer(vars={**CATEGORY_VARS,
                                         "segscope_item_category_separator": None})
    assert result.returncode == 0, result.output[-3000:]
    assert "garden;sale" in categories(shop)


def test_without_a_category_column_there_are_no_category_features(shop):
    result = shop.build_data_layer(vars={
        **CATEGORY_VARS,
        "segscope_items_columns": {"item_id": "sku", "item_label": "title"}})
    assert result.returncode == 0, result.output[-3000:]
    assert categories(shop) == {}
    assert shop.query("select count(*) from feature_catalog "
                      "where computed_from = 'item_categories'") == [(0,)]
