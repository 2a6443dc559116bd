-- One row per eligible user with the features generated from the user's own data: per event
-- type that int_event_types selected, its count, its share of the user's events and the sums of
-- its values (segscope_event_type_features); per item category that int_item_categories
-- selected, its share of the user's item events (segscope_item_category_features).
-- noqa: disable=LT02
-- (LT02: the layout is the Jinja loops')
-- depends_on: {{ ref('leakage_rules') }}
-- (the leakage gate reads the rules: they must be loaded first, so a leak stops what follows)
{{ segscope_feature_rows(segscope_generated_features()) }}
