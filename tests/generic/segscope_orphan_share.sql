{#-
    Gate: the share of rows whose key is missing from `to`.`field` stays at or below max_share.
    Fails with one row per orphan key (and its row count) when the share is above it. Declare it
    twice, once with severity warn and once with severity error, to get two thresholds.
-#}
{% test segscope_orphan_share(model, column_name, to, field, max_share) %}

with

keyed_rows as (

    select {{ column_name }} as orphan_key
    from {{ model }}
    where {{ column_name }} is not null

),

known_keys as (

    select distinct {{ field }} as known_key from {{ to }}

),

orphans as (

    select
        orphan_key,
        count(*) as n_rows
    from keyed_rows
    left join known_keys on keyed_rows.orphan_key = known_keys.known_key
    where known_keys.known_key is null
    group by orphan_key

),

orphan_share as (

    select
        (select coalesce(sum(n_rows), 0) from orphans) * 1.0
        / nullif((select count(*) from keyed_rows), 0) as orphan_share

)

select
    orphans.orphan_key,
    orphans.n_rows,
    orphan_share.orphan_share,
    {{ max_share }} as max_share
from orphans
cross join orphan_share
where orphan_share.orphan_share > {{ max_share }}

{% endtest %}
