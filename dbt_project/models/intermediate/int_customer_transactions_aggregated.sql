{#
    Transaction facts (交易类), one row per customer in the master as of the as-of date.
    Each input is aggregated to customer grain on its own before the join, so no order or day
    is counted twice (the fan-out of jaffle-shop issue #1).
#}

{%- set d = as_of_date() -%}
{%- set trailing_start = trailing_window_start() -%}
{%- set recent_start = recent_window_start() -%}
{%- set steadiness_windows = var('steadiness_windows') | int -%}
{%- set window_revenues = [] -%}
{%- for k in range(steadiness_windows) -%}
{%- do window_revenues.append('greatest(coalesce(day_facts._window_' ~ k ~ '_revenue, 0), 0)') -%}
{%- endfor -%}

with

customers as (

    select * from {{ ref('int_customer_snapshots_deduplicated') }}

),

order_versions as (

    select * from {{ ref('int_orders_aggregated') }}

),

customer_day_versions as (

    select * from {{ ref('int_transactions_aggregated_to_customer_days') }}

),

customer_category_versions as (

    select * from {{ ref('int_transactions_aggregated_to_customer_categories') }}

),

customer_product_versions as (

    select * from {{ ref('int_transactions_aggregated_to_customer_products') }}

),

-- The aggregates hold every version of the order lines landed so far, possibly after the
-- as-of date (a backfill); only the versions valid on the as-of date count (in orders and
-- categories from valid_from: a line dated after its folder counts from its own date; days
-- are cut by their date below). An order, a category or a product may span several version groups
-- (lines landed on different days), so they are combined (categories and products further down);
-- day sums simply add up.
orders as (

    select
        customer_id,
        order_id,
        min(order_date) as order_date,
        max(last_return_date) as last_return_date,
        sum(sales_amount) as sales_amount
    from order_versions
    where {{ is_valid_on_as_of_date('valid_from') }}
    group by customer_id, order_id

),

customer_days as (

    select * from customer_day_versions
    where {{ is_valid_on_as_of_date() }}

),

customer_ids as (

    select distinct customer_id from customers

),

-- Order dates are null for return-only orders, so those never count as orders. The upper
-- bound repeats the cut made upstream; it makes this model correct on its own.
order_facts as (

    select
        customer_id,
        min(order_date) filter (where order_date <= {{ d }}) as first_order_date,
        max(order_date) filter (where order_date <= {{ d }}) as last_order_date,
        count(distinct order_date) filter (where order_date <= {{ d }}) as distinct_order_date_count,
        count(*) filter (where order_date <= {{ d }}) as order_count_lifetime,
        count(*) filter (where {{ in_window('order_date', trailing_start) }}) as order_count_trailing,
        count(*) filter (where {{ in_window('order_date', recent_start) }}) as order_count_recent,
        sum(sales_amount) filter (where order_date <= {{ d }}) as order_sales_amount_lifetime,
        sum(sales_amount) filter (where {{ in_window('order_date', trailing_start) }}) as order_sales_amount_trailing,
        sum(sales_amount) filter (where {{ in_window('order_date', recent_start) }}) as order_sales_amount_recent,
        max(sales_amount) filter (where order_date <= {{ d }}) as largest_order_amount_lifetime,
        max(sales_amount) filter (where {{ in_window('order_date', trailing_start) }}) as largest_order_amount_trailing,
        count(*) filter (where last_return_date <= {{ d }}) as return_count_lifetime,
        count(*) filter (where {{ in_window('last_return_date', trailing_start) }}) as return_count_trailing,
        count(*) filter (where {{ in_window('last_return_date', recent_start) }}) as return_count_recent
    from orders
    group by customer_id

),

day_facts as (

    select
        customer_id,
        sum(revenue) filter (where ordered_date <= {{ d }}) as revenue_lifetime,
        sum(revenue) filter (where {{ in_window('ordered_date', trailing_start) }}) as revenue_trailing,
        sum(revenue) filter (where {{ in_window('ordered_date', recent_start) }}) as revenue_recent,
        sum(gross_profit) filter (where ordered_date <= {{ d }}) as gross_profit_lifetime,
        sum(gross_profit) filter (where {{ in_window('ordered_date', trailing_start) }}) as gross_profit_trailing,
        sum(gross_profit) filter (where {{ in_window('ordered_date', recent_start) }}) as gross_profit_recent,
        -- Days with a line without cost (gross_profit null): the window's profit is unknown.
        count(*) filter (where gross_profit is null and ordered_date <= {{ d }}) as _unknown_cost_days_lifetime,
        count(*) filter (
            where gross_profit is null and {{ in_window('ordered_date', trailing_start) }}
        ) as _unknown_cost_days_trailing,
        count(*) filter (
            where gross_profit is null and {{ in_window('ordered_date', recent_start) }}
        ) as _unknown_cost_days_recent,
        sum(return_amount) filter (where ordered_date <= {{ d }}) as return_amount_lifetime,
        sum(return_amount) filter (where {{ in_window('ordered_date', trailing_start) }}) as return_amount_trailing,
        sum(return_amount) filter (where {{ in_window('ordered_date', recent_start) }}) as return_amount_recent,
        sum(revenue) filter (
            where {{ in_window(
                'ordered_date',
                'cast(' ~ recent_start ~ ' - interval 1 year as date)',
                'cast(' ~ d ~ ' - interval 1 year as date)'
            ) }}
        ) as revenue_recent_last_year,
        {#- Steadiness (seed 002: 今年1000万,明年1000万): revenue of each of the last
            `steadiness_windows` trailing windows, newest first. #}
        {%- for k in range(steadiness_windows) %}
        {%- set window_end = as_of_date() if k == 0 else trailing_window_start(windows_back=k - 1) %}
        sum(revenue) filter (
            where {{ in_window('ordered_date', trailing_window_start(windows_back=k), window_end) }}
        ) as _window_{{ k }}_revenue,
        {%- endfor %}
        sum(revenue) filter (
            where {{ in_window('ordered_date', trailing_window_start(windows_back=1), trailing_start) }}
        ) as revenue_prior_trailing
    from customer_days
    group by customer_id

),

-- How far back the company's order history reaches (any customer, master or not): a window
-- that ends before the first order of all could not have held a purchase.
history_windows as (

    select
        (
            {%- for k in range(steadiness_windows) %}
            {%- set window_end = as_of_date() if k == 0 else trailing_window_start(windows_back=k - 1) %}
            coalesce(cast(min(ordered_date) <= {{ window_end }} as integer), 0){{ ' +' if not loop.last }}
            {%- endfor %}
        ) as observed_trailing_windows
    from customer_days
    where ordered_date <= {{ d }}

),

steadiness_facts as (

    select
        day_facts.customer_id,
        (
            {%- for k in range(steadiness_windows) %}
            cast(coalesce(day_facts._window_{{ k }}_revenue, 0) > 0 as integer){{ ' +' if not loop.last }}
            {%- endfor %}
        ) as active_trailing_windows,
        {{ safe_divide('greatest(' ~ window_revenues | join(', ') ~ ')', window_revenues | join(' + ')) }}
            as largest_trailing_window_share
    from day_facts

),

-- Shares use net revenue floored at 0 on both sides, so a customer whose returns exceed its
-- purchases has share 0 rather than a negative one, and the shares of all customers sum to 1.
-- Customer ids missing from the master still count in the company total.
day_facts_with_shares as (

    select
        *,
        {{ safe_divide(
            'greatest(coalesce(revenue_lifetime, 0), 0)',
            'sum(greatest(coalesce(revenue_lifetime, 0), 0)) over ()'
        ) }} as revenue_share_lifetime,
        {{ safe_divide(
            'greatest(coalesce(revenue_trailing, 0), 0)',
            'sum(greatest(coalesce(revenue_trailing, 0), 0)) over ()'
        ) }} as revenue_share_trailing
    from day_facts

),

-- The categories and the products a customer bought, counted the same way: product dependence
-- (seed 003: customers using one, two, three products stay at 17.3 %, 46 %, 86 %).
{%- for key_column, items, versions in [
    ('product_category', 'categories', 'customer_category_versions'),
    ('product_id', 'products', 'customer_product_versions'),
] %}

customer_{{ items }} as (

    select
        customer_id,
        {{ key_column }},
        min(first_sales_date) as first_sales_date,
        max(last_sales_date) as last_sales_date
    from {{ versions }}
    where {{ is_valid_on_as_of_date('valid_from') }}
    group by customer_id, {{ key_column }}

),

distinct_{{ items }} as (

    select
        customer_id,
        count(*) filter (where first_sales_date <= {{ d }}) as distinct_{{ items }}_lifetime,
        count(*) filter (where {{ in_window('last_sales_date', trailing_start) }}) as distinct_{{ items }}_trailing
    from customer_{{ items }}
    group by customer_id

),
{%- endfor %}

joined as (

    select
        customer_ids.customer_id,
        order_facts.first_order_date,
        order_facts.last_order_date,
        order_facts.distinct_order_date_count,
        order_facts.largest_order_amount_lifetime,
        order_facts.largest_order_amount_trailing,
        -- A window without orders or days counts 0 orders, returns and revenue (its order
        -- amount stays null: no average order value); its profit is unknown if a day of it had
        -- a line without cost.
        {%- for window in ['lifetime', 'trailing', 'recent'] %}
        coalesce(order_facts.order_count_{{ window }}, 0) as order_count_{{ window }},
        order_facts.order_sales_amount_{{ window }},
        coalesce(order_facts.return_count_{{ window }}, 0) as return_count_{{ window }},
        coalesce(day_facts_with_shares.revenue_{{ window }}, 0) as revenue_{{ window }},
        case
            when coalesce(day_facts_with_shares._unknown_cost_days_{{ window }}, 0) = 0
                then coalesce(day_facts_with_shares.gross_profit_{{ window }}, 0)
        end as gross_profit_{{ window }},
        coalesce(day_facts_with_shares.return_amount_{{ window }}, 0) as return_amount_{{ window }},
        {%- endfor %}
        coalesce(day_facts_with_shares._unknown_cost_days_lifetime, 0) > 0 as has_unknown_line_cost,
        coalesce(day_facts_with_shares.revenue_recent_last_year, 0) as revenue_recent_last_year,
        coalesce(day_facts_with_shares.revenue_prior_trailing, 0) as revenue_prior_trailing,
        day_facts_with_shares.revenue_share_lifetime,
        day_facts_with_shares.revenue_share_trailing,
        coalesce(distinct_categories.distinct_categories_lifetime, 0) as distinct_categories_lifetime,
        coalesce(distinct_categories.distinct_categories_trailing, 0) as distinct_categories_trailing,
        coalesce(distinct_products.distinct_products_lifetime, 0) as distinct_products_lifetime,
        coalesce(distinct_products.distinct_products_trailing, 0) as distinct_products_trailing,
        coalesce(steadiness_facts.active_trailing_windows, 0) as active_trailing_windows,
        history_windows.observed_trailing_windows,
        steadiness_facts.largest_trailing_window_share
    from customer_ids
    left join order_facts on customer_ids.customer_id = order_facts.customer_id
    left join day_facts_with_shares on customer_ids.customer_id = day_facts_with_shares.customer_id
    left join distinct_categories on customer_ids.customer_id = distinct_categories.customer_id
    left join distinct_products on customer_ids.customer_id = distinct_products.customer_id
    left join steadiness_facts on customer_ids.customer_id = steadiness_facts.customer_id
    cross join history_windows

),

final as (

    select
        customer_id,
        first_order_date,
        last_order_date,
        {{ days_between('last_order_date', d) }} as days_since_last_order,
        {{ days_between('first_order_date', d) }} as tenure_days,
        -- Purchase occasions (days with an order) feed the repeat-buying churn model.
        coalesce(distinct_order_date_count, 0) as order_days_lifetime,
        order_count_lifetime,
        order_count_trailing,
        order_count_recent,
        revenue_lifetime,
        revenue_trailing,
        revenue_recent,
        gross_profit_lifetime,
        gross_profit_trailing,
        gross_profit_recent,
        -- A margin on zero or negative revenue says nothing, so it is null rather than signed noise.
        case when revenue_lifetime > 0 then {{ safe_divide('gross_profit_lifetime', 'revenue_lifetime') }} end
            as gross_margin_rate_lifetime,
        case when revenue_trailing > 0 then {{ safe_divide('gross_profit_trailing', 'revenue_trailing') }} end
            as gross_margin_rate_trailing,
        case when revenue_recent > 0 then {{ safe_divide('gross_profit_recent', 'revenue_recent') }} end
            as gross_margin_rate_recent,
        {{ safe_divide('order_sales_amount_lifetime', 'order_count_lifetime') }} as average_order_value_lifetime,
        {{ safe_divide('order_sales_amount_trailing', 'order_count_trailing') }} as average_order_value_trailing,
        {{ safe_divide('order_sales_amount_recent', 'order_count_recent') }} as average_order_value_recent,
        largest_order_amount_lifetime,
        largest_order_amount_trailing,
        return_amount_lifetime,
        return_amount_trailing,
        return_amount_recent,
        return_count_lifetime,
        return_count_trailing,
        return_count_recent,
        {{ safe_divide(days_between('first_order_date', 'last_order_date'), 'distinct_order_date_count - 1') }}
            as mean_days_between_orders,
        {{ safe_divide('revenue_trailing', trailing_window_days()) }} * {{ var('recent_window_days') | int }}
            as expected_sales_next_period,
        distinct_categories_lifetime,
        distinct_categories_trailing,
        distinct_products_lifetime,
        distinct_products_trailing,
        revenue_share_lifetime,
        revenue_share_trailing,
        revenue_recent_last_year,
        revenue_prior_trailing,
        active_trailing_windows,
        observed_trailing_windows,
        largest_trailing_window_share,
        -- A line without cost (an export without line_cost) makes profit and margin unknown.
        has_unknown_line_cost
    from joined

)

select * from final
