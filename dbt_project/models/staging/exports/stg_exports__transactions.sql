{#
    One row per order line as of the as-of date: rows landed later are invisible, and when a key
    was corrected in a later landing date the latest landing date on or before the as-of date
    wins (then the latest file and line).
#}

with

source as (

    select * from {{ source('exports', 'transactions') }}

),

latest_version as (

    select * from source
    where _business_date <= {{ as_of_date() }}
    qualify
        row_number() over (
            partition by order_id, line_number
            order by _business_date desc, _source_file desc, _source_line desc
        ) = 1

),

final as (

    select
        order_id,
        line_number,
        customer_id,
        ordered_at,
        cast(ordered_at as date) as ordered_date,
        product_id,
        coalesce(product_category, product_id) as product_category,
        quantity,
        unit_price,
        line_amount,
        line_cost,
        discount_amount,
        quantity < 0 as is_return,
        _business_date as landed_date,
        _source_file as source_file,
        _source_line as source_line
    from latest_version

)

select * from final
