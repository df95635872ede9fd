{#
    dbt's own get_where_subquery, plus one placeholder: `__as_of_date__` in a test's `where`
    config becomes this run's as-of date. dbt renders `where` when it parses the project, before
    the as-of date is known, so the date is put in here, when the test runs. Data tests scoped
    with `where: "landed_date = __as_of_date__"` check only the rows landed in this run's folder:
    every night checks its own landing, and the first (initial-extract) night checks them all.
#}

{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set where = where | replace('__as_of_date__', as_of_date()) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
