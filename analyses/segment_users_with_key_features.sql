-- The users of one segment (var segscope_analysis_segment_id; null: the largest leaf) with what
-- sets the segment apart: its top features by SHAP rank (segment_explanations, the first
-- segscope_analysis_n_key_features), each with the user's own value. Long: one row per user and
-- key feature. A segment's users include those of its children.
{%- set segment_id = var('segscope_analysis_segment_id') %}
{%- set features = segscope_feature_catalog() %}

with

assignments as (

    select * from {{ segscope_as_published(ref('user_segments')) }}

),

segments as (

    select * from {{ segscope_as_published(ref('segments')) }}

),

explanations as (

    select * from {{ segscope_as_published(ref('segment_explanations')) }}

),

user_features as (

    {{ segscope_all_feature_values(published=true) }}

),

chosen_segment as (

    select
        segment_id,
        name as segment_name
    from segments
    {% if segment_id is none %}
        where is_leaf
        order by n_users desc, segment_id asc
        limit 1
    {% else %}
        where segment_id = '{{ segment_id }}'
    {% endif %}

),

segment_users as (

    select
        assignments.user_id,
        chosen_segment.segment_id,
        chosen_segment.segment_name,
        assignments.segment_id as leaf_segment_id,
        assignments.confidence
    from assignments
    inner join chosen_segment
        on
            assignments.segment_id = chosen_segment.segment_id
            or assignments.segment_id like chosen_segment.segment_id || '.%'

),

key_features as (

    select
        explanations.feature_name,
        explanations.rank_in_segment,
        explanations.direction,
        explanations.top_level,
        explanations.mean_abs_shap
    from explanations
    inner join chosen_segment on explanations.segment_id = chosen_segment.segment_id
    where explanations.rank_in_segment <= {{ var('segscope_analysis_n_key_features') }}

),

segment_user_features as (

    select user_features.*
    from user_features
    inner join segment_users on user_features.user_id = segment_users.user_id

),

-- one row per user and catalog feature: numbers as feature_value, categoricals as feature_level
feature_values as (

    {% for feature in features %}
        select
            user_id,
            '{{ feature.name }}' as feature_name,
            {% if feature.kind == 'categorical' -%}
                cast(null as double) as feature_value,
                cast({{ feature.name }} as string) as feature_level
            {%- else -%}
                cast({{ feature.name }} as double) as feature_value,
                cast(null as string) as feature_level
            {%- endif %}
        from segment_user_features
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        segment_users.segment_id,
        segment_users.segment_name,
        segment_users.user_id,
        segment_users.leaf_segment_id,
        segment_users.confidence,
        key_features.rank_in_segment as feature_rank,
        key_features.feature_name,
        key_features.direction,
        key_features.top_level,
        key_features.mean_abs_shap,
        feature_values.feature_value,
        feature_values.feature_level
    from segment_users
    cross join key_features
    left join feature_values
        on
            segment_users.user_id = feature_values.user_id
            and key_features.feature_name = feature_values.feature_name

)

select * from final
order by user_id asc, feature_rank asc
