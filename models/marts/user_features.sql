-- One row per eligible user with the declared features (see segscope_declared_features); the
-- features generated from the user's own event names are in user_event_features.
-- noqa: disable=LT02
-- (LT02: the layout is the Jinja loops')
-- depends_on: {{ ref('leakage_rules') }}
-- (the leakage gate reads the rules: they must be loaded first, so a leak stops what follows)
{{ segscope_feature_rows(segscope_declared_features()) }}
