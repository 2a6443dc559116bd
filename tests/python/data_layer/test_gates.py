"""Each data-quality gate, proven: a warehouse with exactly that defect stops `dbt build` at
that gate, the failure names the table, the column and the rule, and nothing downstream runs."""

from __future__ import annotations

import shutil

import pytest

RAW_DEFECTS = [
    pytest.param(
        ["insert into raw.users select * from raw.users order by user_id limit 1"],
        "gate_stg_product__users_user_id_unique",
        ("stg_product__users", "user_id", "unique"),
        id="duplicate user key",
    ),
    pytest.param(
        ["insert into raw.users (user_id, signed_up_at) values (null, timestamp '2026-03-01')"],
        "gate_stg_product__users_user_id_not_null",
        ("stg_product__users", "user_id", "not_null"),
        id="null user key in users",
    ),
    pytest.param(
        ["update raw.events set user_id = null where event_id % 40 = 0"],
        "gate_stg_product__events_user_id_not_null",
        ("stg_product__events", "user_id", "not_null"),
        id="null user key in events",
    ),
    pytest.param(
        ["update raw.events set user_id = user_id + 100000000 where event_id % 10 = 0"],
        "gate_stg_product__events_user_id_orphan_share_error",
        ("stg_product__events", "user_id", "orphan_share"),
        id="orphan events above the error share",
    ),
    pytest.param(
        ["alter table raw.users alter column user_id type varchar"],
        "gate_stg_product__events_user_id_same_type_as_users",
        ("stg_product__events", "user_id", "same_type"),
        id="user key of another type",
    ),
    pytest.param(
        ["update raw.events set occurred_at = now()::timestamp + interval 10 day "
         "where event_id % 97 = 0"],
        "gate_stg_product__events_occurred_at_not_in_future",
        ("stg_product__events", "occurred_at", "not_in_future"),
        id="events in the future",
    ),
    pytest.param(
        ["update raw.events set occurred_at = occurred_at - interval 400 day "
         "where event_id % 97 = 0"],
        "gate_stg_product__events_occurred_at_not_long_before_signup",
        ("stg_product__events", "occurred_at", "before_signup"),
        id="events long before signup",
    ),
]

# the body of models/marts/user_features.sql: its query ends in "select * from final"
FEATURE_ROWS = "{{ segscope_feature_rows(segscope_declared_features()) }}"


def assert_stopped_at(result, gate: str, names: tuple[str, ...], downstream: str) -> None:
    assert result.returncode != 0, result.output
    assert result.status(gate) == "fail", result.output
    assert f"Failure in test {gate}" in result.output
    for name in names:
        assert name in gate, f"the gate's name should say {name!r}"
    assert result.status(downstream) == "skipped"


@pytest.mark.parametrize(("defect", "gate", "names"), RAW_DEFECTS)
def test_raw_data_defect_stops_the_build(project, defect, gate, names):
    project.execute(*defect)
    result = project.build_data_layer()
    assert_stopped_at(result, gate, names, downstream="user_features")
    assert project.failures_of(gate), "the failing rows are stored for a person to read"


def test_orphans_above_the_warn_share_only_warn(project):
    project.execute("update raw.events set user_id = user_id + 100000000 where event_id % 150 = 0")
    result = project.build_data_layer()
    assert result.returncode == 0, result.output
    assert result.status("gate_stg_product__events_user_id_orphan_share_warn") == "warn"
    assert result.status("gate_stg_product__events_user_id_orphan_share_error") == "pass"
    assert result.status("user_features") == "success"


def test_key_type_failure_names_both_columns_and_types(project):
    project.execute("alter table raw.users alter column user_id type varchar")
    project.build_data_layer()
    rows = project.failures_of("gate_stg_product__events_user_id_same_type_as_users")
    this_column, this_type, other_column, other_type = rows[0]
    assert (this_column, this_type) == ("stg_product__events.user_id", "BIGINT")
    assert (other_column, other_type) == ("stg_product__users.user_id", "VARCHAR")


def test_leaky_feature_stops_the_build(project):
    """Someone maps the users' is_paying flag and declares it a feature."""
    project.edit(
        "models/marts/_marts__models.yml",
        "      - name: country\n",
        "      - name: is_paying\n"
        "        data_type: varchar\n"
        "        description: Paying now.\n"
        "        meta:\n"
        "          feature:\n"
        "            kind: categorical\n"
        "            transform: onehot\n"
        "            expression: \"coalesce(is_paying, 'unknown')\"\n"
        "            source: user\n"
        "            hypothesis: Paying users behave differently.\n"
        "      - name: country\n",
    )
    attributes = {"country": "country", "device": "device",
                  "acquisition_channel": "acquisition_channel", "is_paying": "is_paying"}
    leaky = {"segscope_user_attributes": attributes}
    # the raw column is caught at staging, before anything is built from it
    result = project.build_data_layer(vars=leaky)
    assert_stopped_at(result, "gate_stg_product__users_no_leakage", ("users", "leakage"),
                      downstream="user_features")
    # past that gate, the features' own gate still sees the column and the expression
    result = project.build_data_layer("--exclude", "gate_stg_product__users_no_leakage",
                                      vars=leaky)
    gate = "gate_user_features_no_leakage"
    assert_stopped_at(result, gate, ("user_features", "leakage"), downstream="feature_catalog")
    leaks = {(row[1], row[2]) for row in project.failures_of(gate)}
    assert ("column", "is_paying") in leaks
    assert ("expression", "is_paying") in leaks
    assert ("source_column", "segscope_user_attributes.is_paying") in leaks
    reasons = " ".join(row[5] for row in project.failures_of(gate))
    assert "outcome" in reasons


ALIASED = {"segscope_user_attributes": {"country": "is_paying", "device": "plan",
                                        "acquisition_channel": "acquisition_channel"}}


def test_an_outcome_under_an_attribute_name_stops_the_build(project):
    """country: is_paying makes the outcome a feature called country: the gate reads the raw
    column behind the name, stops before user_features is replaced, and names the var."""
    assert project.build_data_layer().returncode == 0
    features_before = project.query("select * from user_features order by user_id")

    result = project.build_data_layer(vars=ALIASED)
    gate = "gate_stg_product__users_no_leakage"
    assert_stopped_at(result, gate, ("users", "leakage"), downstream="user_features")
    leaks = {(row[2], row[4]) for row in project.failures_of(gate)}
    assert ("segscope_user_attributes.country", "is_paying") in leaks
    assert ("segscope_user_attributes.device", "plan") in leaks
    assert project.query("select * from user_features order by user_id") == features_before


def test_an_aliased_outcome_is_caught_by_the_features_gate_too(project):
    result = project.build_data_layer("--exclude", "gate_stg_product__users_no_leakage",
                                      vars=ALIASED)
    gate = "gate_user_features_no_leakage"
    assert_stopped_at(result, gate, ("user_features", "leakage"), downstream="feature_catalog")
    leaks = {(row[1], row[2]) for row in project.failures_of(gate)}
    assert ("source_column", "segscope_user_attributes.country") in leaks
    assert ("column", "country") not in leaks


def test_an_outcome_in_an_event_role_stops_the_build(project):
    project.execute("alter table raw.events rename column duration_seconds to revenue_cents")
    columns = {"event_id": "event_id", "user_id": "user_id", "occurred_at": "occurred_at",
               "event_name": "event_name", "item_id": "item_id", "value": "revenue_cents"}
    result = project.build_data_layer(vars={"segscope_events_columns": columns})
    gate = "gate_stg_product__events_no_leakage"
    assert_stopped_at(result, gate, ("events", "leakage"), downstream="user_features")
    assert {(row[2], row[4]) for row in project.failures_of(gate)} == {
        ("segscope_events_columns.value", "%revenue%")}


def test_events_after_the_window_stop_the_build(project):
    """A windowing bug lets a month of later events into the features (the as-of gate).

    The SQL unit test of the window model catches it first; without unit tests, the data gate
    still does."""
    project.edit(
        "models/intermediate/int_events__in_window.sql",
        "and events.occurred_at < windows.window_end",
        "and events.occurred_at < windows.window_end + interval 30 day",
    )
    result = project.build_data_layer()
    assert result.status("int_events__in_window_deduplicates_windows_and_sessionizes") == "fail"
    assert result.status("user_features") == "skipped"

    result = project.build_data_layer("--exclude-resource-type", "unit_test")
    gate = "gate_int_events__in_window_occurred_at_within_window"
    assert_stopped_at(result, gate, ("occurred_at", "within_window"), downstream="user_features")


def test_user_features_reading_raw_events_stops_the_build(project):
    """A feature model that bypasses the window is caught by its lineage, whatever the data."""
    project.edit(
        "models/marts/user_features.sql", FEATURE_ROWS,
        FEATURE_ROWS + "\nwhere user_id in (select user_id from {{ ref('stg_product__events') }})",
    )
    result = project.build_data_layer()
    gate = "gate_user_features_reads_only_windowed_events"
    assert_stopped_at(result, gate, ("user_features",), downstream="feature_catalog")


def test_a_user_twice_in_user_features_stops_the_build(project):
    project.edit(
        "models/marts/user_features.sql", FEATURE_ROWS,
        FEATURE_ROWS + "\nunion all\n"
        "select * from final where user_id = (select min(user_id) from final)",
    )
    result = project.build_data_layer()
    gate = "gate_user_features_one_row_per_eligible_user"
    assert_stopped_at(result, gate, ("user_features", "one_row_per"), downstream="feature_catalog")


@pytest.fixture(scope="module")
def built_db(tmp_path_factory, demo_raw, project_class):
    """The demo warehouse with the data layer built once: the previous features every
    pre-fit gate must leave as they were."""
    built = project_class(tmp_path_factory.mktemp("built") / "project")
    shutil.copy(demo_raw, built.db)
    result = built.build_data_layer()
    assert result.returncode == 0, result.output
    return built.db


KEEP_30_USERS = [
    "delete from raw.users where user_id not in (select user_id from raw.users "
    "order by user_id limit 30)",
    "delete from raw.events where user_id not in (select user_id from raw.users)",
]
TEXT_KEYS = [
    "alter table raw.users alter column user_id type varchar",
    "alter table raw.events alter column user_id type varchar",
    "update raw.users set user_id = 'u' || user_id",
    "update raw.events set user_id = 'u' || user_id",
]
PRE_FIT_DEFECTS = [
    pytest.param(["update raw.events set duration_seconds = 'nan'::double "
                  "where event_id % 50 = 0"], {},
                 "gate_stg_product__events_event_value_finite_within_range", "nan",
                 "segscope_value_max_abs", id="NaN in the value role"),
    pytest.param(["update raw.events set duration_seconds = 'inf'::double "
                  "where event_id % 50 = 0"], {},
                 "gate_stg_product__events_event_value_finite_within_range", "inf",
                 "segscope_value_max_abs", id="infinity in the value role"),
    pytest.param(["update raw.events set duration_seconds = 1e300 where event_id % 50 = 0"], {},
                 "gate_stg_product__events_event_value_finite_within_range", "1e+300",
                 "absolute value at most 1000000000000", id="1e300 in the value role"),
    pytest.param(KEEP_30_USERS, {},
                 "gate_int_users__observation_windows_enough_users_to_fit", "100",
                 "segscope_segmentation.min_child_size", id="30 eligible users"),
    pytest.param(["delete from raw.events"], {},
                 "gate_stg_product__events_not_empty", "no rows",
                 "segscope_events_table", id="no events"),
    pytest.param(["update raw.users set signed_up_at = signed_up_at - interval 30 day"], {},
                 "gate_int_events__in_window_not_empty", "no event",
                 "segscope_window_days", id="no event in any window"),
    pytest.param([], {"segscope_window_mode": "fixed", "segscope_window_start": "2026-01-01",
                      "segscope_window_cutoff": "2026-01-15"},
                 "gate_int_users__observation_windows_enough_users_to_fit", "0",
                 "segscope_window_", id="nobody signed up before the window closes"),
    pytest.param(TEXT_KEYS, {},
                 "gate_stg_product__users_user_id_fits_segscope_user_key_type", "VARCHAR",
                 "set segscope_user_key_type: string", id="text keys, bigint key type"),
]


@pytest.mark.parametrize(("defect", "bad_vars", "gate", "shown", "rule"), PRE_FIT_DEFECTS)
def test_what_the_fit_would_choke_on_stops_the_build_first(
        project, built_db, defect, bad_vars, gate, shown, rule):
    shutil.copy(built_db, project.db)
    features = "select * from user_features order by user_id"
    before = project.query(features)
    project.execute(*defect)
    result = project.build_data_layer(vars=bad_vars or None)
    assert_stopped_at(result, gate, (), downstream="user_features")
    stored = " ".join(str(value) for row in project.failures_of(gate) for value in row)
    assert shown in stored.lower() or shown in stored, stored
    assert rule in stored, stored
    assert project.query(features) == before, "the previous features stay as they were"


def test_text_keys_build_with_the_string_key_type(project):
    project.execute(*TEXT_KEYS)
    result = project.build_data_layer(vars={"segscope_user_key_type": "string"})
    assert result.returncode == 0, result.output
    assert project.query("select count(*) from user_features where user_id like 'u%'")[0][0] > 0
