{#
    One row per customer per landing date. Earlier snapshots are kept (not only the latest)
    because dim_customers_history is built from them. Key-person name, phone and e-mail are
    personal data nothing downstream needs, so they stop here.
#}

with

source as (

    select * from {{ source('raw', 'customers') }}

),

landed_by_as_of_date as (

    select * from source
    where _business_date <= {{ as_of_date() }}
    -- The contract makes the key unique within a landing date; if a date was re-delivered
    -- in two files anyway, the later file and line wins.
    qualify row_number() over (
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
        _source_file as source_file,
        _source_line as source_line
    from landed_by_as_of_date

)

select * from final
