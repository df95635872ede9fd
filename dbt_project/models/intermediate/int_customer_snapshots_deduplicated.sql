{#
    One row per customer per landing date on or before the as-of date: the customer master's
    snapshots. Earlier snapshots are kept (not only the latest) because dim_customers_history
    is built from them.
    A history of transactions only (no master landed on or before the as-of date) gets a minimal
    master derived from the transactions: one row per customer, landed on its first order date,
    without attributes, marked is_derived_from_transactions.
#}

with

customers as (

    select * from {{ ref('stg_exports__customers') }}

),

transactions as (

    select * from {{ ref('stg_exports__transactions') }}

),

-- The contract makes the key unique within a landing date; if a date was re-delivered in two
-- files anyway, the version rule picks within the date: the later file and line wins.
snapshots as (

    select
        *,
        false as is_derived_from_transactions
    from customers
    {{ latest_version(['customer_id', 'landed_date']) }}

),

derived_from_transactions as (

    select
        customer_id,
        min(ordered_date) as landed_date,
        {%- for column in ['customer_name', 'industry', 'province', 'city', 'channel_type',
                           'account_manager'] %}
        cast(null as string) as {{ column }},
        {%- endfor %}
        cast(null as date) as first_cooperation_date,
        cast(null as decimal(18, 4)) as credit_limit,
        cast(null as bigint) as payment_terms_days,
        cast(null as boolean) as is_strategic,
        cast(null as bigint) as qualitative_rating,
        cast(null as string) as status,
        cast(null as string) as key_person_role,
        cast(null as string) as source_file,
        cast(null as bigint) as source_line,
        true as is_derived_from_transactions
    from transactions
    where ordered_date <= {{ as_of_date() }}
        and not exists (select 1 from snapshots)
    group by customer_id

),

final as (

    select * from snapshots
    union all
    select * from derived_from_transactions

)

select * from final
