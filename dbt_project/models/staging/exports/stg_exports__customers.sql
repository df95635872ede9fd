{#
    One row per customer per landing date. Earlier snapshots are kept (not only the latest)
    because dim_customers_history is built from them. Key-person name, phone and e-mail are
    personal data nothing downstream needs, so they stop here.
    A history of transactions only (no master landed on or before the as-of date) gets a minimal
    master derived from the transactions: one row per customer, landed on its first order date,
    without attributes, marked is_derived_from_transactions.
#}

with

source as (

    select * from {{ source('exports', 'customers') }}

),

transactions as (

    select * from {{ source('exports', 'transactions') }}

),

landed_by_as_of_date as (

    select * from source
    where _business_date <= {{ as_of_date() }}
    -- The contract makes the key unique within a landing date; if a date was re-delivered
    -- in two files anyway, the later file and line wins.
    qualify
        row_number() over (
            partition by customer_id, _business_date
            order by _source_file desc, _source_line desc
        ) = 1

),

final as (

    select
        customer_id,
        _business_date as landed_date,
        customer_name,
        industry,
        province,
        city,
        channel_type,
        account_manager,
        first_cooperation_date,
        credit_limit,
        payment_terms_days,
        is_strategic,
        qualitative_rating,
        status,
        key_person_role,
        false as is_derived_from_transactions,
        _source_file as source_file,
        _source_line as source_line
    from landed_by_as_of_date

),

derived_from_transactions as (

    select
        customer_id,
        cast(min(ordered_at) as date) as landed_date,
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
        true as is_derived_from_transactions,
        cast(null as string) as source_file,
        cast(null as bigint) as source_line
    from transactions
    where _business_date <= {{ as_of_date() }}
        and cast(ordered_at as date) <= {{ as_of_date() }}
        and not exists (select 1 from final)
    group by customer_id

)

select * from final
union all
select * from derived_from_transactions
