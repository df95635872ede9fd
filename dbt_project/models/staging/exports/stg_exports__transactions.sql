{#
    Every landed version of every order line, landed on or before the as-of date: the first
    delivery and each later correction, one row per raw row. A plain projection, so a filter on
    landed_date, customer_id or order_id reaches the scan, and a reader that needs few columns
    scans only those; int_transactions_deduplicated picks the version valid as of the as-of
    date, and the incremental transaction aggregates read it to find what landed since their
    last run.
#}

with

source as (

    select * from {{ source('exports', 'transactions') }}

),

final as (

    select
        order_id,
        line_number,
        customer_id,
        ordered_at,
        cast(ordered_at as date) as ordered_date,
        product_id,
        -- An export without categories lets the product id serve (contracts.yaml when_absent).
        coalesce(product_category, product_id) as product_category,
        product_category is null as is_category_from_product_id,
        quantity,
        unit_price,
        line_amount,
        line_cost,
        discount_amount,
        quantity < 0 as is_return,
        {{ landed_lineage() }},
        _loaded_at as loaded_at
    from source
    where _business_date <= {{ as_of_date() }}

)

select * from final
