{#
    Fails for every combination of `combination_of_columns` that occurs more than once.
    dbt-core's `unique` takes one column, and dbt_utils cannot be installed offline.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as row_count
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
