-- How faithfully a surrogate tells each segment from its siblings, on held-out users.
-- Published with the other segment tables or not at all: when the explainer or the stability
-- checks fail, every segment table stays at the previous fit.
-- depends_on: {{ ref('segmentation_explainer') }}, {{ ref('segmentation_stability_checks') }}

with

fidelity as (

    select * from {{ ref('segmentation_fidelity') }}

),

final as (

    select
        cast(segment_id as string) as segment_id,
        cast(parent_segment_id as string) as parent_segment_id,
        cast(n_users_trained as integer) as n_users_trained,
        cast(n_users_held_out as integer) as n_users_held_out,
        cast(n_members_held_out as integer) as n_members_held_out,
        cast(surrogate_accuracy as double) as surrogate_accuracy,
        cast(surrogate_precision as double) as surrogate_precision,
        cast(surrogate_recall as double) as surrogate_recall,
        cast(surrogate_f1 as double) as surrogate_f1,
        cast(split_accuracy as double) as split_accuracy,
        cast(split_macro_f1 as double) as split_macro_f1,
        cast(model_version as string) as model_version
    from fidelity

)

select * from final
