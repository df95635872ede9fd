{#
    One row per customer, product and group of order-line versions (landed_date,
    superseded_date), with the first and last date the product was bought on a sales line.
    Returns do not count: a customer who only returned a product never bought it. Return
    lines still count in line_count, which tracks every version aggregated.
    It feeds distinct_products_* (product dependence, seed 003: 使用一个产品 17.3%, 两个 46%,
    三个 86%). A model of its own rather than a product column in the category aggregate, so
    the category counts keep reading a table a fraction of this one's size.
    Incremental: see macros/incremental/transaction_versions.sql. A line dated after its folder's business
    date is valid only from its own date (valid_from, as in int_orders_aggregated).
#}

{{ transaction_aggregate_config() }}

{{ customer_sales_span('product_id') }}
