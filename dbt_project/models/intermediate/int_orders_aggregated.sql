{#
    One row per customer and order, as of the as-of date. Order counts, order values and
    return counts are read from here, so the facts never scan order lines.
#}

with

transactions as (

    select * from {{ ref('stg_raw__transactions') }}

),

lines_as_of_date as (

    select * from transactions
    where ordered_date <= {{ as_of_date() }}

),

final as (

    select
        customer_id,
        order_id,
        -- An order is dated by its first sales line: a return booked later under the same
        -- order id must not move the order into a more recent window.
        min(ordered_date) filter (where not is_return) as order_date,
        -- All lines are on or before the as-of date, so the last return line falls in a
        -- window exactly when any return line of the order does.
        max(ordered_date) filter (where is_return) as last_return_date,
        count(*) filter (where not is_return) > 0 as has_sales_line,
        count(*) filter (where is_return) > 0 as has_return_line,
        coalesce(sum(line_amount) filter (where not is_return), 0) as sales_amount,
        coalesce(-sum(line_amount) filter (where is_return), 0) as return_amount
    from lines_as_of_date
    group by customer_id, order_id

)

select * from final
