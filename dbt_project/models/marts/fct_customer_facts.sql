{#
    Customer facts: one row per as-of date and customer known to the master on or before it
    (column meanings in docs/facts.md). Incremental by as-of date: a run replaces the rows of
    its date and leaves other dates alone, so nightly runs accumulate history and a backfill
    of a past date rewrites only that date. The table is history, not a cache: --full-refresh
    (kam run --full-refresh) rebuilds the models it is computed from, but must not wipe the
    other dates, so it is ignored here (full_refresh=false); drop the table to start over.
    The post-hook logs the date written (macros/incremental/partition_writes.sql), for publishing.
    A column added by a newer kam is appended to an existing history (append_new_columns):
    dates written before the upgrade keep null in it until they are re-run.
#}

{{
    config(
        materialized='incremental',
        incremental_strategy=replace_strategy(),
        partition_by=business_date_partition('as_of_date'),
        unique_key='as_of_date',
        on_schema_change='append_new_columns',
        full_refresh=false,
        post_hook="{{ record_partition_write() }}",
    )
}}

with

customers as (

    select * from {{ ref('dim_customers') }}

),

transaction_facts as (

    select * from {{ ref('int_customer_transactions_aggregated') }}

),

finance_facts as (

    select * from {{ ref('int_customer_finance_aggregated') }}

),

contact_facts as (

    select * from {{ ref('int_customer_interactions_aggregated') }}

),

statement_facts as (

    select * from {{ ref('int_customer_financials_analysed') }}

),

line_versions as (

    select * from {{ ref('stg_exports__transactions') }}

),

-- An export without categories lets the product id serve; the category counts say so.
category_sources as (

    select
        customer_id,
        bool_or(is_category_from_product_id) as has_category_from_product_id
    from line_versions
    where ordered_date <= {{ as_of_date() }}
    group by customer_id

),

-- Every input is already one row per customer, so these joins cannot fan out.
final as (

    select
        {{ as_of_date() }} as as_of_date,
        customers.customer_id,
        customers.customer_name,
        customers.industry,
        customers.province,
        customers.city,
        customers.channel_type,
        customers.account_manager,
        customers.status,
        customers.is_strategic,
        customers.qualitative_rating,
        customers.payment_terms_days,
        customers.credit_limit,
        -- Masters often leave the start of the relationship empty; the first order is the
        -- best evidence of it then.
        coalesce(customers.first_cooperation_date, transaction_facts.first_order_date) as first_cooperation_date,
        {{ days_between(
            'coalesce(customers.first_cooperation_date, transaction_facts.first_order_date)', as_of_date()
        ) }}
        -- A double on both engines (Spark divides by a decimal literal in decimal).
        / cast(365.25 as double) as cooperation_years,
        -- SQLFluff takes the names a `* exclude (...)` leaves out for unqualified references.
        -- noqa: disable=RF02
        {{ star_except('transaction_facts', ['customer_id', 'has_unknown_line_cost']) }},
        {{ star_except('finance_facts', ['customer_id']) }},
        {{ star_except('contact_facts', ['customer_id', 'cost_to_serve_trailing']) }},
        statement_facts.customer_id is not null as has_financial_statement,
        {{ star_except('statement_facts', ['customer_id']) }},
        -- noqa: enable=RF02
        contact_facts.cost_to_serve_trailing,
        transaction_facts.gross_profit_trailing - contact_facts.cost_to_serve_trailing as contribution_trailing,
        coalesce(transaction_facts.has_unknown_line_cost, false) as has_unknown_line_cost,
        coalesce(category_sources.has_category_from_product_id, false) as has_category_from_product_id
    from customers
    left join transaction_facts on customers.customer_id = transaction_facts.customer_id
    left join finance_facts on customers.customer_id = finance_facts.customer_id
    left join contact_facts on customers.customer_id = contact_facts.customer_id
    left join statement_facts on customers.customer_id = statement_facts.customer_id
    left join category_sources on customers.customer_id = category_sources.customer_id

)

select * from final
