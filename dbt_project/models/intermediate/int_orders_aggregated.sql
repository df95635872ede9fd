{#
    One row per customer, order and group of order-line versions (landed_date,
    superseded_date, valid_from). The facts keep the versions valid on the as-of date and
    combine an order's groups (min of dates, sums of amounts), so they never scan order lines.
    Incremental: see macros/incremental/transaction_versions.sql. Ingestion accepts lines dated up to a day
    after their folder's business date; such a line is valid only from its own date
    (valid_from), so it neither counts before then nor moves its order's dates or amounts.
#}

{{ transaction_aggregate_config() }}

with

{{ dated_transaction_versions('line_versions') }},

final as (

    select
        customer_id,
        order_id,
        landed_date,
        superseded_date,
        valid_from,
        -- An order is dated by its first sales line: a return booked later under the same
        -- order id must not move the order into a more recent window.
        min(ordered_date) filter (where not is_return) as order_date,
        max(ordered_date) filter (where is_return) as last_return_date,
        count(*) filter (where not is_return) > 0 as has_sales_line,
        count(*) filter (where is_return) > 0 as has_return_line,
        coalesce(sum(line_amount) filter (where not is_return), 0) as sales_amount,
        coalesce(-sum(line_amount) filter (where is_return), 0) as return_amount,
        count(*) as line_count,
        max(loaded_at) as loaded_at
    from line_versions
    group by customer_id, order_id, landed_date, superseded_date, valid_from

)

-- The run that wrote the row: its data tests check rows written since they last passed.
select *, {{ this_run() }} as written_in_run from final
