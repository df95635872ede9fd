{#
    dbt's own get_where_subquery, plus two things:
    - `__as_of_date__` in a test's `where` config becomes this run's as-of date. dbt renders
      `where` when it parses the project, before the as-of date is known, so the date is put in
      here, when the test runs.
    - a test of a model in the var `tests_scoped` checks only the rows not yet tested
      (macros/incremental/tests_passed.sql), in addition to its own `where`. A history table gets one date's
      rows per run and keeps every earlier date as it was tested, so a night's tests do not grow
      with the history kept.
#}

{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set scope = tests_scope(relation) -%}
    {%- if scope -%}
        {%- do conditions.append(scope) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }}
             where {{ conditions | join(' and ') | replace('__as_of_date__', as_of_date()) }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
