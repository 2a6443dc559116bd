{#- Gate: exactly one row per key of `to`: none missing, none repeated, none extra. -#}
{% test segscope_one_row_per_key(model, key, to) %}

with

rows_per_key as (

    select
        {{ key }} as checked_key,
        count(*) as n_rows
    from {{ model }}
    group by {{ key }}

),

expected as (

    select distinct {{ key }} as expected_key from {{ to }}

),

compared as (

    select
        coalesce(rows_per_key.checked_key, expected.expected_key) as offending_key,
        coalesce(rows_per_key.n_rows, 0) as n_rows,
        expected.expected_key is not null as is_expected
    from rows_per_key
    full outer join expected on rows_per_key.checked_key = expected.expected_key

)

select * from compared
where n_rows != 1 or not is_expected

{% endtest %}
