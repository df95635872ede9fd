{#
    Customer master as a type-2 slowly changing dimension, from the snapshots landed on or
    before the as-of date: one row per customer and version, valid over [valid_from, valid_to).
    A snapshot identical to the previous one (a full snapshot re-sends unchanged customers)
    does not open a version, so consecutive identical versions collapse into one.

    Not a dbt snapshot: a snapshot records what the source holds when it runs, so its history
    starts with the first run and a backfill or a re-delivered folder cannot rewrite it. Built
    from every landed snapshot with its landing date, this history is the same whenever and
    however often it is rebuilt, as of any date.
#}

{%- set attributes = tracked_customer_attributes() -%}

with

customers as (

    select * from {{ ref('int_customer_snapshots_deduplicated') }}

),

compared_with_previous as (

    select
        *,
        -- Row comparison with `is distinct from` treats two nulls as equal, so a missing
        -- industry in two snapshots is not a change.
        ({{ row_value(attributes) }} is distinct from lag({{ row_value(attributes) }}) over (
            partition by customer_id order by landed_date
        )) as is_changed
    from customers

),

versions as (

    select * from compared_with_previous
    where is_changed

),

final as (

    select
        customer_id,
        landed_date as valid_from,
        lead(landed_date) over (partition by customer_id order by landed_date) as valid_to,
        lead(landed_date) over (partition by customer_id order by landed_date) is null as is_current,
        {{ attributes | join(',\n        ') }}
    from versions

)

select * from final
