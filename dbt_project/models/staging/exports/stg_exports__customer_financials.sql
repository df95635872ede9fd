{#
    Every landed version of every customer statement (customer and quarter), landed on or before
    the as-of date: the first delivery and each later correction, one row per raw row. A plain
    projection, so a filter on landed_date or customer_id reaches the scan;
    int_customer_financials_deduplicated picks the version valid as of the as-of date.
#}

with

source as (

    select * from {{ source('exports', 'customer_financials') }}

),

final as (

    select
        customer_id,
        period_end_date,
        current_assets,
        current_liabilities,
        inventory,
        total_assets,
        total_liabilities,
        revenue,
        cost_of_goods_sold,
        net_profit,
        accounts_receivable,
        {{ landed_lineage() }}
    from source
    where _business_date <= {{ as_of_date() }}

)

select * from final
