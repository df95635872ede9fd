{#
    One row per customer, product category and group of order-line versions (landed_date,
    superseded_date), with the first and last date the category was bought on a sales line.
    Returns do not count: a customer who only returned a category never bought into it. Return
    lines still count in line_count, which tracks every version aggregated.
    Incremental: see macros/transaction_versions.sql.
#}

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['customer_id', 'landed_date'],
        on_schema_change='fail',
        pre_hook="{{ reset_when_rebuilding(ref('stg_raw__transaction_versions')) }}",
    )
}}

with

line_versions as (

    select * from {{ transaction_versions_to_aggregate(ref('stg_raw__transaction_versions')) }}

),

final as (

    select
        customer_id,
        product_category,
        landed_date,
        superseded_date,
        min(ordered_date) filter (where not is_return) as first_sales_date,
        max(ordered_date) filter (where not is_return) as last_sales_date,
        count(*) as line_count,
        max(loaded_at) as loaded_at
    from line_versions
    group by customer_id, product_category, landed_date, superseded_date

)

select * from final
