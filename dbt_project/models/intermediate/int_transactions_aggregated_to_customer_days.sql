{#
    One row per customer, order day and group of order-line versions (landed_date,
    superseded_date): money sums for every window (including the year-ago and prior-trailing
    comparisons) come from this small table, after keeping the versions valid on the as-of date
    (macro is_valid_on_as_of_date). Incremental: see macros/incremental/transaction_versions.sql.
#}

{{ transaction_aggregate_config() }}

with

line_versions as (

    select * from {{ transaction_versions_to_aggregate(ref('stg_exports__transactions')) }}

),

final as (

    select
        customer_id,
        ordered_date,
        landed_date,
        superseded_date,
        -- Net of returns: a return line carries a negative amount and cost.
        sum(line_amount) as revenue,
        -- Unknown when a line of the day has no cost: a partial sum would overstate the margin.
        case when count(line_cost) = count(*) then sum(line_amount - line_cost) end as gross_profit,
        coalesce(-sum(line_amount) filter (where is_return), 0) as return_amount,
        count(*) as line_count,
        max(loaded_at) as loaded_at
    from line_versions
    group by customer_id, ordered_date, landed_date, superseded_date

)

-- The run that wrote the row: its data tests check rows written since they last passed.
select *, {{ this_run() }} as written_in_run from final
