{#
    Fails for every row where `expression` is false. Null counts as passing, because most
    facts are legitimately null when their window is empty (test not_null separately).
#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
