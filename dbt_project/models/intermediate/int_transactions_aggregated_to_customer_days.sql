{#
    One row per customer and order day, as of the as-of date: money sums for every window
    (including the year-ago and prior-trailing comparisons) come from this small table.
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
        ordered_date,
        -- Net of returns: a return line carries a negative amount and cost.
        sum(line_amount) as revenue,
        sum(line_amount - line_cost) as gross_profit,
        coalesce(-sum(line_amount) filter (where is_return), 0) as return_amount,
        count(*) as line_count
    from lines_as_of_date
    group by customer_id, ordered_date

)

select * from final
