{#
    One row per customer, product category and group of order-line versions (landed_date,
    superseded_date), with the first and last date the category was bought on a sales line.
    Returns do not count: a customer who only returned a category never bought into it. Return
    lines still count in line_count, which tracks every version aggregated.
    Incremental: see macros/incremental/transaction_versions.sql. A line dated after its folder's business
    date is valid only from its own date (valid_from, as in int_orders_aggregated).
#}

{{ transaction_aggregate_config() }}

{{ customer_sales_span('product_category') }}
