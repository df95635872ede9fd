{#
    One row per customer statement (customer and quarter) as of the as-of date, the version
    picked from stg_exports__customer_financials: when a statement was corrected in a later
    landing date, the latest landing date on or before the as-of date wins (then the latest
    file and line).

    A table, not a view: int_customer_financials_analysed reads it twice (the latest statement
    and the one a year earlier) and four data tests read it, and a view would run the window
    over every landed version for each. Rebuilt in full each night: a customer sends one
    statement a quarter, so the table stays small.
#}

select * from {{ ref('stg_exports__customer_financials') }}
{{ latest_version(['customer_id', 'period_end_date']) }}
