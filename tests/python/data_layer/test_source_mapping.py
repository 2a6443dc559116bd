"""Use your own events: the data layer runs through the vars mapping on differently named
tables, and a mapping that names something that is not there fails at once, naming it."""

from __future__ import annotations

import pytest

RENAMED_TABLES = [
    "create schema crm",
    """create table crm.member_activity as select
        event_id as activity_uuid, user_id as member_key, event_name as action,
        occurred_at as happened_at, item_id as content_ref, duration_seconds as seconds_spent
       from raw.events""",
    """create table crm.members as select
        user_id as member_key, signed_up_at as joined_at, country as region,
        device as platform, acquisition_channel as came_from, is_paying, plan
       from raw.users""",
]

MAPPING = {
    "segscope_source_schema": "crm",
    "segscope_events_table": "member_activity",
    "segscope_users_table": "members",
    "segscope_events_columns": {
        "event_id": "activity_uuid", "user_id": "member_key", "occurred_at": "happened_at",
        "event_name": "action", "item_id": "content_ref", "value": "seconds_spent",
    },
    "segscope_users_columns": {"user_id": "member_key", "signed_up_at": "joined_at"},
    "segscope_user_attributes": {
        "country": "region", "device": "platform", "acquisition_channel": "came_from",
    },
}

FEATURES = "select * from user_features order by user_id"


def test_renamed_tables_give_the_same_features(project):
    default = project.build_data_layer()
    assert default.returncode == 0, default.output
    expected = project.query(FEATURES)

    project.execute(*RENAMED_TABLES)
    mapped = project.build_data_layer(vars=MAPPING)
    assert mapped.returncode == 0, mapped.output
    assert project.query(FEATURES) == expected


def test_events_alone_are_enough(project):
    """No users table: users come from the events and signup is the first event."""
    result = project.build_data_layer(vars={"segscope_users_table": None,
                                 "segscope_users_columns": {"user_id": "user_id",
                                                            "signed_up_at": None}})
    assert result.returncode == 0, result.output
    (n_users,), = project.query("select count(*) from user_features")
    assert n_users > 0


@pytest.mark.parametrize(
    ("override", "message"),
    [
        pytest.param(
            {"segscope_events_table": "clickstream"},
            "\"crm\".\"clickstream\" (var segscope_events_table in schema var",
            id="missing table",
        ),
        pytest.param(
            {"segscope_events_columns": {**MAPPING["segscope_events_columns"],
                                         "user_id": "visitor_id"}},
            "has no column 'visitor_id' (var segscope_events_columns.user_id)",
            id="missing column",
        ),
        pytest.param(
            {"segscope_events_columns": {**MAPPING["segscope_events_columns"],
                                         "occurred_at": "action"}},
            ".action (var segscope_events_columns.occurred_at) is VARCHAR, but the role "
            "occurred_at needs a timestamp column",
            id="column of the wrong type",
        ),
        pytest.param(
            {"segscope_user_attributes": {"country": "nation"}},
            "has no column 'nation' (var segscope_user_attributes.country)",
            id="missing attribute column",
        ),
    ],
)
def test_a_bad_mapping_fails_at_once_naming_it(project, override, message):
    project.execute(*RENAMED_TABLES)
    result = project.build_data_layer(vars={**MAPPING, **override})
    assert result.returncode != 0
    assert message in result.output.replace("\n  ", " ")
    assert result.status("user_features") == "skipped"


def test_items_come_from_the_events_unless_an_items_table_labels_them(project):
    """No items table (the default): every item in the events, labelled by its id. An items
    table mapped through the vars gives the labels; a column it does not have fails at once."""
    result = project.build("--select", "stg_product__items")
    assert result.returncode == 0, result.output
    (n_items, n_labelled_by_id), = project.query(
        "select count(*), count(case when item_label = item_id then 1 end) from stg_product__items")
    (n_event_items,), = project.query(
        "select count(distinct item_id) from raw.events where item_id is not null")
    assert n_items == n_labelled_by_id == n_event_items > 0

    project.execute("create table raw.catalog as select distinct item_id as ref, "
                    "'Item ' || item_id as title from raw.events where item_id is not null")
    labelled = {"segscope_items_table": "catalog",
                "segscope_items_columns": {"item_id": "ref", "item_label": "title"}}
    result = project.build("--select", "stg_product__items", vars=labelled)
    assert result.returncode == 0, result.output
    assert project.query("select count(*) from stg_product__items "
                         "where item_label != 'Item ' || item_id") == [(0,)]

    broken = {**labelled, "segscope_items_columns": {"item_id": "ref", "item_label": "name"}}
    result = project.build("--select", "stg_product__items", vars=broken)
    assert result.returncode != 0
    assert ("has no column 'name' (var segscope_items_columns.item_label)"
            in result.output.replace("\n  ", " "))
