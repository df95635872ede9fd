{#
    One row per customer and day on which the receivable balance changed, as of the as-of
    date: invoices and credit notes add their amount, payments subtract theirs. The balance
    after a day holds until the next event day, which makes a time-weighted average balance a
    sum over these few rows instead of a 365-row date spine per customer.

    Incremental per customer (macros/incremental/landing_state.sql: finance_tail_config, and
    finance_tail_imports for the `invoices` and `payments` CTEs): a nightly run recomputes only the
    customers with finance rows landed or dated since the last build, and of those only the
    days from the customer's earliest changed date (changed_from) on, plus the last day before
    it, whose next event day may change. Earlier days keep their balance. A backfill or a
    re-delivered folder rebuilds the table.
#}

{{ finance_tail_config(changed_rows=balance_tail_days('changed.changed_from')) }}

{%- set tail_only = landing_state(['invoices', 'payments']).mode == 'incremental' %}

with

{{ finance_tail_imports() }}

changes as (

    select
        customer_id,
        invoice_date as event_date,
        amount as balance_change
    from invoices
    where invoice_date <= {{ as_of_date() }}

    union all

    select
        customer_id,
        payment_date as event_date,
        -amount as balance_change
    from payments
    where payment_date <= {{ as_of_date() }}

),

daily_changes as (

    select
        customer_id,
        event_date,
        sum(balance_change) as balance_change
    from changes
    group by customer_id, event_date

),

final as (

    select
        customer_id,
        event_date,
        balance_change,
        sum(balance_change) over (
            partition by customer_id
            order by event_date
            rows between unbounded preceding and current row
        ) as balance_after,
        lead(event_date) over (partition by customer_id order by event_date) as next_event_date
    from daily_changes

)

{% if tail_only %}

-- written_in_run: the run that wrote the row (macros/incremental/written_rows.sql).
select final.*, {{ this_run() }} as written_in_run
from final
inner join {{ finance_customers_table() }} as changed on final.customer_id = changed.customer_id
where {{ balance_tail_days('changed.changed_from') }}

{% else %}

select *, {{ this_run() }} as written_in_run from final

{% endif %}
