{#
    Every landed version of every invoice and credit note, landed on or before the as-of date:
    the first delivery and each later correction, one row per raw row. A plain projection, so a
    filter on landed_date, customer_id or invoice_id reaches the scan; int_invoices_deduplicated
    picks the version valid as of the as-of date.
#}

with

source as (

    select * from {{ source('exports', 'invoices') }}

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
        {{ landed_lineage() }}
    from source
    where _business_date <= {{ as_of_date() }}

)

select * from final
