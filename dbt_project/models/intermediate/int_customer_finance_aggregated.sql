{#
    Finance facts (财务类), one row per customer in the master as of the as-of date. Invoices,
    payments, FIFO applications, open invoices and balance events are each aggregated to
    customer grain before they are joined.
#}

{%- set d = as_of_date() -%}
{%- set trailing_start = trailing_window_start() -%}
{%- set recent_start = recent_window_start() -%}

with

customers as (

    select * from {{ ref('int_customer_snapshots_deduplicated') }}

),

invoices as (

    select * from {{ ref('int_invoices_deduplicated') }}

),

payments as (

    select * from {{ ref('int_payments_deduplicated') }}

),

applications as (

    select * from {{ ref('int_payments_applied') }}

),

settled_invoices as (

    select * from {{ ref('int_invoices_settled') }}

),

balance_events as (

    select * from {{ ref('int_customer_balance_events') }}

),

customer_ids as (

    select distinct customer_id from customers

),

invoice_facts as (

    select
        customer_id,
        sum(amount) filter (where invoice_date <= {{ d }}) as invoiced_amount_lifetime,
        sum(amount) filter (where {{ in_window('invoice_date', trailing_start) }}) as invoiced_amount_trailing
    from invoices
    group by customer_id

),

payment_facts as (

    select
        customer_id,
        sum(amount) filter (where payment_date <= {{ d }}) as paid_amount_lifetime,
        sum(amount) filter (where {{ in_window('payment_date', trailing_start) }}) as paid_amount_trailing,
        count(*) filter (where {{ in_window('payment_date', trailing_start) }}) as payment_count_trailing,
        max(amount) filter (where payment_date <= {{ d }}) as largest_payment_amount_lifetime,
        max(amount) filter (where {{ in_window('payment_date', trailing_start) }}) as largest_payment_amount_trailing,
        {{ average_as_double('amount') }} filter (where payment_date <= {{ d }}) as average_payment_amount_lifetime,
        {{ average_as_double('amount') }} filter (where {{ in_window('payment_date', trailing_start) }})
            as average_payment_amount_trailing
    from payments
    group by customer_id

),

-- Payment behaviour is judged on cash only: a credit note settling an invoice says nothing
-- about how fast the customer pays.
payment_applications as (

    select * from applications
    where settlement_type = 'payment'

),

{%- set lifetime = 'applied_date <= ' ~ d %}
{%- set trailing = in_window('applied_date', trailing_start) %}
{%- set recent = in_window('applied_date', recent_start) %}

application_facts as (

    select
        customer_id,
        {{ weighted_average('collection_days', 'applied_amount', lifetime) }} as average_collection_days_lifetime,
        {{ weighted_average('collection_days', 'applied_amount', trailing) }} as average_collection_days_trailing,
        {{ weighted_average('days_late', 'applied_amount', trailing) }} as average_days_past_due_trailing,
        {{ weighted_average('days_late', 'applied_amount', recent) }} as average_days_past_due_recent,
        max(days_late) filter (where {{ trailing }}) as max_days_late_trailing,
        {{ safe_divide(
            'coalesce(sum(applied_amount) filter (where is_on_time and ' ~ trailing ~ '), 0)',
            'sum(applied_amount) filter (where ' ~ trailing ~ ')'
        ) }} as on_time_payment_rate_trailing,
        -- All paid late is a rate of 0, not unknown: only no payment at all leaves it null.
        -- The recent window (a quarter at a quarter's end) for the quarterly credit grade
        -- (seed 004: 每季度根據客戶上一季度的經營和財務狀況評定一次).
        {{ weighted_average('collection_days', 'applied_amount', recent) }} as average_collection_days_recent,
        max(days_late) filter (where {{ recent }}) as max_days_late_recent,
        {{ safe_divide(
            'coalesce(sum(applied_amount) filter (where is_on_time and ' ~ recent ~ '), 0)',
            'sum(applied_amount) filter (where ' ~ recent ~ ')'
        ) }} as on_time_payment_rate_recent
    from payment_applications
    group by customer_id

),

open_invoice_facts as (

    select
        customer_id,
        sum(open_amount) filter (where is_overdue) as overdue_amount,
        max(days_past_due) as days_past_due,
        sum(open_amount) filter (
            where is_overdue and days_past_due > {{ var('long_overdue_days') | int }}
        ) as long_overdue_amount
    from settled_invoices
    group by customer_id

),

-- Each balance holds from its event day up to the next event day (or the day after the as-of
-- date); clipping that span to the trailing window and weighting by its length gives the
-- average daily balance, the balance before the window included.
balance_facts as (

    select
        customer_id,
        -- Divided as a double on both engines (Spark keeps decimal / integer a decimal).
        sum(
            balance_after * greatest(
                {{ days_between('greatest(event_date, ' ~ trailing_start ~ ' + 1)',
                                'least(coalesce(next_event_date, ' ~ d ~ ' + 1), ' ~ d ~ ' + 1)') }},
                0
            )
        ) / cast({{ trailing_window_days() }} as double) as average_outstanding_balance_trailing
    from balance_events
    group by customer_id

),

final as (

    select
        customer_ids.customer_id,
        coalesce(invoice_facts.invoiced_amount_lifetime, 0) as invoiced_amount_lifetime,
        coalesce(invoice_facts.invoiced_amount_trailing, 0) as invoiced_amount_trailing,
        coalesce(payment_facts.paid_amount_lifetime, 0) as paid_amount_lifetime,
        coalesce(payment_facts.paid_amount_trailing, 0) as paid_amount_trailing,
        coalesce(payment_facts.payment_count_trailing, 0) as payment_count_trailing,
        payment_facts.largest_payment_amount_lifetime,
        payment_facts.largest_payment_amount_trailing,
        payment_facts.average_payment_amount_lifetime,
        payment_facts.average_payment_amount_trailing,
        application_facts.average_collection_days_lifetime,
        application_facts.average_collection_days_trailing,
        coalesce(invoice_facts.invoiced_amount_lifetime, 0)
        - coalesce(payment_facts.paid_amount_lifetime, 0) as outstanding_balance,
        coalesce(balance_facts.average_outstanding_balance_trailing, 0) as average_outstanding_balance_trailing,
        {{ safe_divide(
            'coalesce(balance_facts.average_outstanding_balance_trailing, 0)',
            'invoice_facts.invoiced_amount_trailing'
        ) }} as average_outstanding_ratio_trailing,
        coalesce(open_invoice_facts.overdue_amount, 0) as overdue_amount,
        coalesce(open_invoice_facts.days_past_due, 0) as days_past_due,
        application_facts.average_days_past_due_trailing,
        application_facts.average_days_past_due_recent,
        greatest(coalesce(application_facts.max_days_late_trailing, 0), coalesce(open_invoice_facts.days_past_due, 0))
            as max_days_past_due_trailing,
        application_facts.on_time_payment_rate_trailing,
        application_facts.average_collection_days_recent,
        greatest(coalesce(application_facts.max_days_late_recent, 0), coalesce(open_invoice_facts.days_past_due, 0))
            as max_days_past_due_recent,
        application_facts.on_time_payment_rate_recent,
        coalesce(open_invoice_facts.long_overdue_amount, 0) as long_overdue_amount,
        -- Days of trailing sales the open balance represents; meaningless without positive
        -- invoicing in the window, hence null then.
        case when invoice_facts.invoiced_amount_trailing > 0 then
            {{ safe_divide(
                'coalesce(invoice_facts.invoiced_amount_lifetime, 0) - coalesce(payment_facts.paid_amount_lifetime, 0)',
                'invoice_facts.invoiced_amount_trailing'
            ) }} * {{ trailing_window_days() }}
        end as dso_days
    from customer_ids
    left join invoice_facts on customer_ids.customer_id = invoice_facts.customer_id
    left join payment_facts on customer_ids.customer_id = payment_facts.customer_id
    left join application_facts on customer_ids.customer_id = application_facts.customer_id
    left join open_invoice_facts on customer_ids.customer_id = open_invoice_facts.customer_id
    left join balance_facts on customer_ids.customer_id = balance_facts.customer_id

)

select * from final
