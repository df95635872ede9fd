-- The DuckDB floor: customer transaction facts as of one business date, straight from the landed
-- CSV files, in one hand-written script. bench/run.py times it against the whole nightly job.
--
-- Same semantics as dbt_project (docs/facts.md, "Transaction"): only folders dated on or before
-- the as-of date; a line re-sent in a later folder replaces the earlier version; an order is an
-- order_id with a sales line, dated by its first sales line; windows are (start, as_of_date].
-- Not done here (dbt does): quarantine of bad rows, audit columns, the other fact families.
--
-- Set before running (bench/run.py does):
--   set variable transactions_glob = '<landing>/transactions/*/*.csv';
--   set variable customers_glob = '<landing>/customers/*/*.csv';
--   set variable as_of_date = date 'YYYY-MM-DD';

create or replace temp table floor_lines as
with
landed as (
    select
        *,
        cast(regexp_extract(filename, '(\d{4}-\d{2}-\d{2})[/\\][^/\\]*$', 1) as date) as landed_date
    from read_csv(
        getvariable('transactions_glob'),
        header = true,
        filename = true,
        columns = {
            'order_id': 'varchar',
            'line_number': 'bigint',
            'customer_id': 'varchar',
            'ordered_at': 'timestamp',
            'product_id': 'varchar',
            'product_category': 'varchar',
            'quantity': 'decimal(18,4)',
            'unit_price': 'decimal(18,4)',
            'line_amount': 'decimal(18,4)',
            'line_cost': 'decimal(18,4)',
            'discount_amount': 'decimal(18,4)'
        }
    )
)
select
    customer_id,
    order_id,
    cast(ordered_at as date) as ordered_date,
    product_category,
    line_amount,
    line_cost,
    quantity < 0 as is_return
from (
    -- The latest version landed by the as-of date, then cut by its own date: a line corrected
    -- to a later date no longer counts at its old one.
    select * from landed
    where landed_date <= getvariable('as_of_date')
    qualify row_number() over (
        partition by order_id, line_number order by landed_date desc, filename desc
    ) = 1
)
where cast(ordered_at as date) <= getvariable('as_of_date');

create or replace temp table floor_facts as
with
bounds as (
    select
        getvariable('as_of_date') as d,
        cast(getvariable('as_of_date') - interval 12 month as date) as trailing_start,
        cast(getvariable('as_of_date') - interval 90 day as date) as recent_start
),
customers as (
    select distinct customer_id
    from read_csv(
        getvariable('customers_glob'),
        header = true,
        filename = true,
        columns = {
            'customer_id': 'varchar', 'customer_name': 'varchar', 'industry': 'varchar',
            'province': 'varchar', 'city': 'varchar', 'channel_type': 'varchar',
            'account_manager': 'varchar', 'first_cooperation_date': 'varchar',
            'credit_limit': 'varchar', 'payment_terms_days': 'varchar', 'is_strategic': 'varchar',
            'qualitative_rating': 'varchar', 'status': 'varchar', 'key_person_name': 'varchar',
            'key_person_role': 'varchar', 'key_person_phone': 'varchar',
            'key_person_email': 'varchar'
        }
    )
    where cast(regexp_extract(filename, '(\d{4}-\d{2}-\d{2})[/\\][^/\\]*$', 1) as date)
        <= getvariable('as_of_date')
),
orders as (
    select
        customer_id,
        order_id,
        min(ordered_date) filter (where not is_return) as order_date,
        max(ordered_date) filter (where is_return) as last_return_date,
        coalesce(sum(line_amount) filter (where not is_return), 0) as sales_amount
    from floor_lines
    group by customer_id, order_id
),
order_facts as (
    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(distinct order_date) as order_days_lifetime,
        count(order_date) as order_count_lifetime,
        count(order_date) filter (where order_date > trailing_start) as order_count_trailing,
        count(order_date) filter (where order_date > recent_start) as order_count_recent,
        sum(sales_amount) filter (where order_date is not null) as sales_lifetime,
        sum(sales_amount) filter (where order_date > trailing_start) as sales_trailing,
        sum(sales_amount) filter (where order_date > recent_start) as sales_recent,
        max(sales_amount) filter (where order_date is not null) as largest_order_amount_lifetime,
        max(sales_amount) filter (where order_date > trailing_start)
            as largest_order_amount_trailing,
        count(last_return_date) as return_count_lifetime,
        count(last_return_date) filter (where last_return_date > trailing_start)
            as return_count_trailing,
        count(last_return_date) filter (where last_return_date > recent_start)
            as return_count_recent
    from orders, bounds
    group by customer_id
),
line_facts as (
    select
        customer_id,
        sum(line_amount) as revenue_lifetime,
        sum(line_amount) filter (where ordered_date > trailing_start) as revenue_trailing,
        sum(line_amount) filter (where ordered_date > recent_start) as revenue_recent,
        sum(line_amount - line_cost) as gross_profit_lifetime,
        sum(line_amount - line_cost) filter (where ordered_date > trailing_start)
            as gross_profit_trailing,
        sum(line_amount - line_cost) filter (where ordered_date > recent_start)
            as gross_profit_recent,
        -sum(line_amount) filter (where is_return) as return_amount_lifetime,
        -sum(line_amount) filter (where is_return and ordered_date > trailing_start)
            as return_amount_trailing,
        -sum(line_amount) filter (where is_return and ordered_date > recent_start)
            as return_amount_recent,
        count(distinct product_category) filter (where not is_return)
            as distinct_categories_lifetime
    from floor_lines, bounds
    group by customer_id
),
category_facts as (
    -- A category counts in the trailing window when its last sales line falls in it.
    select customer_id, count(*) as distinct_categories_trailing
    from (
        select customer_id, product_category, max(ordered_date) as last_sales_date
        from floor_lines
        where not is_return
        group by customer_id, product_category
    ), bounds
    where last_sales_date > trailing_start
    group by customer_id
)
select
    c.customer_id,
    o.first_order_date,
    o.last_order_date,
    b.d - o.last_order_date as days_since_last_order,
    b.d - o.first_order_date as tenure_days,
    coalesce(o.order_days_lifetime, 0) as order_days_lifetime,
    coalesce(o.order_count_lifetime, 0) as order_count_lifetime,
    coalesce(o.order_count_trailing, 0) as order_count_trailing,
    coalesce(o.order_count_recent, 0) as order_count_recent,
    coalesce(l.revenue_lifetime, 0) as revenue_lifetime,
    coalesce(l.revenue_trailing, 0) as revenue_trailing,
    coalesce(l.revenue_recent, 0) as revenue_recent,
    coalesce(l.gross_profit_lifetime, 0) as gross_profit_lifetime,
    coalesce(l.gross_profit_trailing, 0) as gross_profit_trailing,
    coalesce(l.gross_profit_recent, 0) as gross_profit_recent,
    case when l.revenue_lifetime > 0 then l.gross_profit_lifetime / l.revenue_lifetime end
        as gross_margin_rate_lifetime,
    case when l.revenue_trailing > 0 then l.gross_profit_trailing / l.revenue_trailing end
        as gross_margin_rate_trailing,
    o.sales_lifetime / nullif(o.order_count_lifetime, 0) as average_order_value_lifetime,
    o.sales_trailing / nullif(o.order_count_trailing, 0) as average_order_value_trailing,
    o.sales_recent / nullif(o.order_count_recent, 0) as average_order_value_recent,
    o.largest_order_amount_lifetime,
    o.largest_order_amount_trailing,
    coalesce(l.return_amount_lifetime, 0) as return_amount_lifetime,
    coalesce(l.return_amount_trailing, 0) as return_amount_trailing,
    coalesce(l.return_amount_recent, 0) as return_amount_recent,
    coalesce(o.return_count_lifetime, 0) as return_count_lifetime,
    coalesce(o.return_count_trailing, 0) as return_count_trailing,
    coalesce(o.return_count_recent, 0) as return_count_recent,
    coalesce(l.distinct_categories_lifetime, 0) as distinct_categories_lifetime,
    coalesce(k.distinct_categories_trailing, 0) as distinct_categories_trailing
from customers as c
cross join bounds as b
left join order_facts as o on c.customer_id = o.customer_id
left join line_facts as l on c.customer_id = l.customer_id
left join category_facts as k on c.customer_id = k.customer_id;
