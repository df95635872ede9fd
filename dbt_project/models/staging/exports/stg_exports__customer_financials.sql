{#
    One row per customer statement (customer and quarter) as of the as-of date: rows landed
    later are invisible, and when a key was corrected in a later landing date the latest landing date on or before the as-of date
    wins (then the latest file and line).
#}

with

source as (

    select * from {{ source('exports', 'customer_financials') }}

),

latest_version as (

    select * from source
    where _business_date <= {{ as_of_date() }}
    qualify
        row_number() over (
            partition by customer_id, period_end_date
            order by _business_date desc, _source_file desc, _source_line desc
        ) = 1

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
        _business_date as landed_date,
        _source_file as source_file,
        _source_line as source_line
    from latest_version

)

select * from final
