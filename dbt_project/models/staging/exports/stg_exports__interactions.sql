{#
    Every landed version of every contact event, landed on or before the as-of date: the first
    delivery and each later correction (a status resolved later), one row per raw row, of which
    int_interactions_deduplicated picks the version valid as of the as-of date. A plain
    projection, so a filter on landed_date, customer_id or interaction_id reaches the scan.
#}

with

source as (

    select * from {{ source('exports', 'interactions') }}

),

final as (

    select
        interaction_id,
        customer_id,
        occurred_at,
        cast(occurred_at as date) as occurred_date,
        channel,
        interaction_type,
        status,
        resolved_at,
        cast(resolved_at as date) as resolved_date,
        employee,
        {{ landed_lineage() }}
    from source
    where _business_date <= {{ as_of_date() }}

)

select * from final
