{#
    Fails for every combination of `combination_of_columns` that occurs more than once.
    dbt-core's `unique` takes one column, and dbt_utils cannot be installed offline.
    When the test checks only the rows written since its last passing run
    (macros/incremental/written_rows.sql), their combinations are counted over the whole table. A hash of
    the columns finds them (null-safe, as group by is); a collision only counts more rows,
    which the group by then tells apart.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
{%- set columns = combination_of_columns | join(', ') %}
{%- set whole = whole_table_when_scoped_by_run() %}

select
    {{ columns }},
    count(*) as row_count
from {{ whole if whole is not none else model }}
{%- if whole is not none %}
where {{ hash_columns(combination_of_columns) }} in (
    select {{ hash_columns(combination_of_columns) }} from {{ model }}
)
{%- endif %}
group by {{ columns }}
having count(*) > 1

{% endtest %}
