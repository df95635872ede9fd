{#
    One row per invoice as of the as-of date: rows landed later are invisible, and when a key
    was corrected in a later landing date the latest landing date on or before the as-of date
    wins (then the latest file and line).
#}

with

source as (

    select * from {{ source('raw', 'invoices') }}

),

latest_version as (

    select * from source
    where _business_date <= {{ as_of_date() }}
    qualify row_number() over (
        partition by invoice_id
        order by _business_date desc, _source_file desc, _source_line desc
    ) = 1

),

final as (

    select
        invoice_id,
        customer_id,
        invoice_date,
        due_date,
        amount,
        currency,
        amount < 0 as is_credit_note,
        _business_date as landed_date,
        _source_file as source_file,
        _source_line as source_line
    from latest_version

)

select * from final
