{#
    Customer financial-statement ratios (客户财务分析), one row per customer that has a
    statement with period end on or before the as-of date, from the latest such statement.
    Statements report one quarter, so flows (revenue, profit, cost) are annualised × 4 where a
    ratio sets them against a stock (assets, receivables, inventory).
#}

with

statements as (

    select * from {{ ref('int_customer_financials_deduplicated') }}

),

statements_as_of_date as (

    select * from statements
    where period_end_date <= {{ as_of_date() }}

),

latest_statements as (

    select * from statements_as_of_date
    qualify row_number() over (partition by customer_id order by period_end_date desc) = 1

),

-- Growth compares a quarter with the same quarter a year earlier, so seasonality cancels out.
with_prior_year as (

    select
        latest_statements.*,
        prior_year.revenue as revenue_prior_year
    from latest_statements
    left join statements_as_of_date as prior_year
        on latest_statements.customer_id = prior_year.customer_id
            and year(prior_year.period_end_date) = year(latest_statements.period_end_date) - 1
            and quarter(prior_year.period_end_date) = quarter(latest_statements.period_end_date)

),

final as (

    select
        customer_id,
        period_end_date as statement_period_end_date,
        {{ days_between('period_end_date', as_of_date()) }} as statement_age_days,
        {{ safe_divide('current_assets', 'current_liabilities') }} as current_ratio,
        {{ safe_divide('current_assets - inventory', 'current_liabilities') }} as quick_ratio,
        {{ safe_divide('total_liabilities', 'total_assets') }} as debt_to_asset_ratio,
        {{ safe_divide('net_profit', 'revenue') }} as net_profit_margin,
        {{ safe_divide('net_profit * 4', 'total_assets') }} as return_on_assets,
        {{ safe_divide('revenue * 4', 'total_assets') }} as asset_turnover,
        {{ safe_divide('accounts_receivable * 365', 'revenue * 4') }} as receivable_days,
        {{ safe_divide('inventory * 365', 'cost_of_goods_sold * 4') }} as inventory_days,
        {{ safe_divide('revenue', 'revenue_prior_year') }} - 1 as revenue_growth,
        -- Share of wallet (seed 000: 我们的产品于该公司所占的份额) sets our trailing year's sales
        -- against what the customer buys in a year: its cost of goods sold, annualised.
        cost_of_goods_sold * 4 as cost_of_goods_sold_annualised
    from with_prior_year

)

select * from final
