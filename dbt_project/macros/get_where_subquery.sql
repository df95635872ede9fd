{#
    dbt's own get_where_subquery, plus one placeholder: `__as_of_date__` in a test's `where`
    config becomes this run's as-of date. dbt renders `where` when it parses the project, before
    the as-of date is known, so the date is put in here, when the test runs. Data tests scoped
    with `where: "landed_date = __as_of_date__"` check only the rows landed in this run's folder:
    every night checks its own landing, and the first (initial-extract) night checks them all.
#}

{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {#-
        History tables (var `tests_scoped_to_as_of_date`) get one date's rows per run and keep
        every earlier date as it was tested on its own night: their tests check this run's date,
        so a night's tests do not grow with the history kept.
    -#}
    {%- if not where and relation.identifier in var('tests_scoped_to_as_of_date', []) -%}
        {%- set where = 'as_of_date = __as_of_date__' -%}
    {%- endif -%}
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
