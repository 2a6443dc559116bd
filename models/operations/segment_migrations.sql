-- The migration matrix between the previous fit and this one: users per (previous leaf,
-- leaf), over the users both fits segmented. Empty after a first fit.
-- depends_on: {{ ref('segmentation_explainer') }}, {{ ref('segmentation_stability_checks') }}

with

migrations as (

    select * from {{ ref('segmentation_migrations') }}

),

fit as (

    select
        model_version,
        previous_model_version
    from {{ ref('segmentation_fit') }}

),

final as (

    select
        cast(migrations.previous_segment_id as string) as previous_segment_id,
        cast(migrations.segment_id as string) as segment_id,
        cast(migrations.n_users as bigint) as n_users,
        cast(
            migrations.n_users
            / sum(migrations.n_users) over (partition by migrations.previous_segment_id)
            as double
        ) as share_of_previous_segment,
        cast(fit.previous_model_version as string) as previous_model_version,
        cast(fit.model_version as string) as model_version
    from migrations
    cross join fit

)

select * from final
