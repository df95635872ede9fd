{#
    First-in-first-out application of settlements to invoices, per customer, as of the as-of
    date: one row per invoice and settlement that paid part of it.

    Invoices are laid end to end on a money axis in FIFO order (invoice date, invoice id), each
    covering [cumulative amount before it, cumulative amount including it). Settlements are laid
    out the same way in the order they arrived. A settlement pays an invoice by exactly the
    length of the overlap of their two intervals. This is one range join instead of a row-by-row
    loop, and it scales with the number of invoices and payments, not with their amounts.

    Settlements are payments and credit notes (negative invoices): a credit note settles the
    oldest open invoice like cash would, but it is not a payment and is kept apart in the
    payment-behaviour facts by `settlement_type`. A payment's own invoice_id is ignored on
    purpose (the contract calls it a reference only). Money beyond all invoices stays unapplied.

    Incremental per customer (macros/landing_state.sql): a nightly run recomputes only the
    customers with finance rows landed or dated since the last build; a backfill or a
    re-delivered folder rebuilds the table.
#}

{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ reset_finance_customers() }}",
        post_hook="{{ finish_finance_customers() }}",
    )
}}

with

invoices as (

    select * from {{ ref('stg_raw__invoices') }}
    where {{ finance_customer_filter() }}

),

payments as (

    select * from {{ ref('stg_raw__payments') }}
    where {{ finance_customer_filter() }}

),

receivables as (

    select
        customer_id,
        invoice_id,
        invoice_date,
        due_date,
        amount
    from invoices
    where invoice_date <= {{ as_of_date() }}
        and amount > 0

),

settlements as (

    select
        customer_id,
        'payment' as settlement_type,
        payment_id as settlement_id,
        payment_date as settled_date,
        amount
    from payments
    where payment_date <= {{ as_of_date() }}
        and amount > 0

    union all

    select
        customer_id,
        'credit_note' as settlement_type,
        invoice_id as settlement_id,
        invoice_date as settled_date,
        -amount as amount
    from invoices
    where invoice_date <= {{ as_of_date() }}
        and amount < 0

),

receivable_intervals as (

    select
        *,
        sum(amount) over (
            partition by customer_id
            order by invoice_date, invoice_id
            rows between unbounded preceding and current row
        ) as interval_end
    from receivables

),

settlement_intervals as (

    select
        *,
        sum(amount) over (
            partition by customer_id
            order by settled_date, settlement_type, settlement_id
            rows between unbounded preceding and current row
        ) as interval_end
    from settlements

),

applications as (

    select
        receivable_intervals.customer_id,
        receivable_intervals.invoice_id,
        receivable_intervals.invoice_date,
        receivable_intervals.due_date,
        settlement_intervals.settlement_type,
        settlement_intervals.settlement_id,
        settlement_intervals.settled_date,
        least(receivable_intervals.interval_end, settlement_intervals.interval_end)
        - greatest(
            receivable_intervals.interval_end - receivable_intervals.amount,
            settlement_intervals.interval_end - settlement_intervals.amount
        ) as applied_amount
    from receivable_intervals
    inner join settlement_intervals
        on receivable_intervals.customer_id = settlement_intervals.customer_id
        and settlement_intervals.interval_end - settlement_intervals.amount
        < receivable_intervals.interval_end
        and settlement_intervals.interval_end
        > receivable_intervals.interval_end - receivable_intervals.amount

),

final as (

    select
        customer_id,
        invoice_id,
        invoice_date,
        due_date,
        settlement_type,
        settlement_id,
        settled_date,
        -- Money received before the invoice existed (a prepayment) settles it the day it is
        -- issued: zero collection days, never negative ones.
        greatest(settled_date, invoice_date) as applied_date,
        applied_amount,
        greatest(settled_date, invoice_date) - invoice_date as collection_days,
        greatest(greatest(settled_date, invoice_date) - due_date, 0) as days_late,
        greatest(settled_date, invoice_date) <= due_date as is_on_time
    from applications

)

select * from final
