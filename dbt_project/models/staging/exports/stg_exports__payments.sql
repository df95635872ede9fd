{#
    Every landed version of every payment, landed on or before the as-of date: the first
    delivery and each later correction, one row per raw row. A plain projection, so a filter on
    landed_date, customer_id or payment_id reaches the scan; int_payments_deduplicated picks the
    version valid as of the as-of date.
#}

with

source as (

    select * from {{ source('exports', 'payments') }}

),

final as (

    select
        payment_id,
        customer_id,
        invoice_id,
        payment_date,
        amount,
        {{ landed_lineage() }}
    from source
    where _business_date <= {{ as_of_date() }}

)

select * from final
