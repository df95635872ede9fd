{#
    One row per customer and product category bought on a sales line, as of the as-of date.
    Returns do not count: a customer who only returned a category never bought into it.
#}

with

transactions as (

    select * from {{ ref('stg_raw__transactions') }}

),

sales_lines_as_of_date as (

    select * from transactions
    where ordered_date <= {{ as_of_date() }}
        and not is_return

),

final as (

    select
        customer_id,
        product_category,
        min(ordered_date) as first_sales_date,
        max(ordered_date) as last_sales_date
    from sales_lines_as_of_date
    group by customer_id, product_category

)

select * from final
