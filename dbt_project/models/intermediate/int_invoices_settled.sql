{#
    One row per invoice (credit notes excluded: they settle invoices, see int_payments_applied)
    with what is still open as of the as-of date and how late it is.
#}

with

invoices as (

    select * from {{ ref('int_invoices_deduplicated') }}

),

applications as (

    select * from {{ ref('int_payments_applied') }}

),

settled_amounts as (

    select
        invoice_id,
        sum(applied_amount) as settled_amount
    from applications
    group by invoice_id

),

final as (

    select
        invoices.customer_id,
        invoices.invoice_id,
        invoices.invoice_date,
        invoices.due_date,
        invoices.amount,
        coalesce(settled_amounts.settled_amount, 0) as settled_amount,
        invoices.amount - coalesce(settled_amounts.settled_amount, 0) as open_amount,
        invoices.amount - coalesce(settled_amounts.settled_amount, 0) > 0
        and invoices.due_date < {{ as_of_date() }} as is_overdue,
        case
            when invoices.amount - coalesce(settled_amounts.settled_amount, 0) > 0
                and invoices.due_date < {{ as_of_date() }}
                then {{ days_between('invoices.due_date', as_of_date()) }}
            else 0
        end as days_past_due
    from invoices
    left join settled_amounts on invoices.invoice_id = settled_amounts.invoice_id
    where invoices.invoice_date <= {{ as_of_date() }}
        and invoices.amount > 0

)

select * from final
