{#
    Every customer master row landed on or before the as-of date, one row per raw row: each
    landing date's snapshot, and a landing date re-delivered in two files twice.
    int_customer_snapshots_deduplicated keeps one row per customer and landing date. Key-person
    name, phone and e-mail are personal data nothing downstream needs, so they stop here.
#}

with

source as (

    select * from {{ source('exports', 'customers') }}

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
        _source_file as source_file,
        _source_line as source_line
    from source
    where _business_date <= {{ as_of_date() }}

)

select * from final
