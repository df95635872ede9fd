{#
    One row per customer known to the master on or before the as-of date, with its attributes
    as of that date. Personal data (key person name, phone, e-mail) is not published.
    The table reflects the last run: after a backfill it shows the backfilled date.
    Without a master landed, the customers are derived from the transactions
    (int_customer_snapshots_deduplicated) and marked so.
#}

with

customer_versions as (

    select * from {{ ref('dim_customers_history') }}

),

first_versions as (

    select
        customer_id,
        min(valid_from) as first_seen_date
    from customer_versions
    group by customer_id

),

current_versions as (

    select * from customer_versions
    where is_current

),

derived_customers as (

    select customer_id from {{ ref('int_customer_snapshots_deduplicated') }}
    where is_derived_from_transactions

),

final as (

    select
        current_versions.customer_id,
        {{ as_of_date() }} as as_of_date,
        {%- for attribute in tracked_customer_attributes() %}
        current_versions.{{ attribute }},
        {%- endfor %}
        current_versions.valid_from as attributes_valid_from,
        first_versions.first_seen_date,
        derived_customers.customer_id is not null as is_derived_from_transactions
    from current_versions
    inner join first_versions on current_versions.customer_id = first_versions.customer_id
    left join derived_customers on current_versions.customer_id = derived_customers.customer_id

)

select * from final
