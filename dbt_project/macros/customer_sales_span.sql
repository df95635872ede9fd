{#
    The body of a customer × <key> aggregate of order-line versions (categories, products):
    one row per customer, key value and group of versions (landed_date, superseded_date,
    valid_from), with the first and last date the key was bought on a sales line. Returns do not
    count (a customer who only returned it never bought it); they still count in line_count,
    which tracks every version aggregated. Incremental: see macros/incremental/transaction_versions.sql.
#}
{% macro customer_sales_span(key_column) %}

with

{{ dated_transaction_versions('line_versions') }},

final as (

    select
        customer_id,
        {{ key_column }},
        landed_date,
        superseded_date,
        valid_from,
        min(ordered_date) filter (where not is_return) as first_sales_date,
        max(ordered_date) filter (where not is_return) as last_sales_date,
        count(*) as line_count,
        max(loaded_at) as loaded_at
    from line_versions
    group by customer_id, {{ key_column }}, landed_date, superseded_date, valid_from

)

-- The run that wrote the row: its data tests check rows written since they last passed.
select *, {{ this_run() }} as written_in_run from final

{% endmacro %}
