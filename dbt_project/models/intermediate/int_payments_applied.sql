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

    Incremental per customer (macros/incremental/landing_state.sql: finance_tail_config, and
    finance_tail_imports for the `invoices` and `payments` CTEs): a nightly run recomputes only the
    customers with finance rows landed or dated since the last build, and of those only the
    applications of an invoice or settlement dated on or after the customer's earliest changed
    date (changed_from). FIFO order starts with the date, so every invoice and settlement dated
    before it keeps its place on the money axis, and so does every application of two of them:
    the night rewrites the open tail of the account, not its history. A backfill or a
    re-delivered folder rebuilds the table.
#}

{{ finance_tail_config(changed_rows='invoice_date >= changed.changed_from or settled_date >= changed.changed_from') }}

{%- set tail_only = landing_state(['invoices', 'payments']).mode == 'incremental' %}

with

{{ finance_tail_imports() }}

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

{% if tail_only %}

-- The point on the money axis where the customer's changed tail starts: the start of the first
-- invoice or settlement dated on or after changed_from. Only what ends beyond it is applied
-- again. That is every application with one side dated on or after changed_from, and none of
-- two earlier ones (still in the table): an invoice dated before changed_from ends before the
-- first later invoice starts, a settlement before the first later settlement, and the point is
-- the smaller of those two starts.
changed as (

    select customer_id, changed_from from {{ finance_customers_table() }}

),

change_points as (

    select customer_id, min(interval_start) as change_point
    from (
        select changed.customer_id, interval_end - amount as interval_start
        from receivable_intervals
        inner join changed on receivable_intervals.customer_id = changed.customer_id
        where receivable_intervals.invoice_date >= changed.changed_from
        union all
        select changed.customer_id, interval_end - amount
        from settlement_intervals
        inner join changed on settlement_intervals.customer_id = changed.customer_id
        where settlement_intervals.settled_date >= changed.changed_from
    )
    group by customer_id

),

receivables_to_apply as (

    select receivable_intervals.*
    from receivable_intervals
    inner join change_points on receivable_intervals.customer_id = change_points.customer_id
    where receivable_intervals.interval_end > change_points.change_point

),

settlements_to_apply as (

    select settlement_intervals.*
    from settlement_intervals
    inner join change_points on settlement_intervals.customer_id = change_points.customer_id
    where settlement_intervals.interval_end > change_points.change_point

),

{% else %}

receivables_to_apply as (

    select * from receivable_intervals

),

settlements_to_apply as (

    select * from settlement_intervals

),

{% endif %}

applications as (

    select
        receivables_to_apply.customer_id,
        receivables_to_apply.invoice_id,
        receivables_to_apply.invoice_date,
        receivables_to_apply.due_date,
        settlements_to_apply.settlement_type,
        settlements_to_apply.settlement_id,
        settlements_to_apply.settled_date,
        least(receivables_to_apply.interval_end, settlements_to_apply.interval_end)
        - greatest(
            receivables_to_apply.interval_end - receivables_to_apply.amount,
            settlements_to_apply.interval_end - settlements_to_apply.amount
        ) as applied_amount
    from receivables_to_apply
    inner join settlements_to_apply
        on receivables_to_apply.customer_id = settlements_to_apply.customer_id
            and settlements_to_apply.interval_end - settlements_to_apply.amount < receivables_to_apply.interval_end
            and settlements_to_apply.interval_end > receivables_to_apply.interval_end - receivables_to_apply.amount

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
        {{ days_between('invoice_date', 'greatest(settled_date, invoice_date)') }} as collection_days,
        greatest({{ days_between('due_date', 'greatest(settled_date, invoice_date)') }}, 0) as days_late,
        greatest(settled_date, invoice_date) <= due_date as is_on_time
    from applications

)

-- The run that wrote the row: its data tests check rows written since they last passed.
select *, {{ this_run() }} as written_in_run from final
