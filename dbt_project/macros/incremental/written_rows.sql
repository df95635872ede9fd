{#
    Data tests that check the rows a model wrote since its tests last passed (docs/incremental.md).

    Incremental tables keep every row they wrote in earlier runs, unchanged until a run deletes
    or rewrites it; their tests checked those rows when they were written. Each row of the models
    in the var `tests_scoped_by_run` therefore records the run that wrote it (`written_in_run`, a
    sequence number per dbt invocation, from `main.kam_dbt_runs`), and `main.kam_tests_passed`
    records the last run in which all the model's data tests ran and passed (`passed_run`). A
    data test of such a model checks only the rows written after that run:

    - a row-level test (not_null, accepted_values, expression_is_true) sees only those rows;
    - a uniqueness test takes the keys of those rows and counts them over the whole table, so a
      new row that repeats an old row's key still fails it;
    - a relationships test is not narrowed: its parent may lose a key after the child row was
      tested (a re-delivered customer folder), so it checks every row.

    Until a model has a passing run, or after a run that failed, the rows not yet tested stay
    in scope: the next run tests them again. A full build writes every row again, so tests all.
#}

{% macro run_sequence_table() -%}
    {{ side_table('kam_dbt_runs') }}
{%- endmacro %}

{#- on-run-start: number this dbt invocation (after every earlier one). -#}
{% macro record_run_start() %}
    {{ return(adapter.dispatch('record_run_start')()) }}
{% endmacro %}

{% macro default__record_run_start() %}
    create table if not exists {{ run_sequence_table() }} (
        run_seq bigint primary key,
        invocation_id varchar not null unique,
        command varchar not null,
        started_at timestamp not null
    );
    insert into {{ run_sequence_table() }}
    select coalesce(max(run_seq), 0) + 1, '{{ invocation_id }}', '{{ flags.WHICH }}',
        current_timestamp::timestamp
    from {{ run_sequence_table() }}
{% endmacro %}

{#-
    Spark: no primary key or unique constraint on a Parquet table (dbt runs one build at a time
    per warehouse), and the session runs one statement per call: the table is created here.
-#}
{% macro spark__record_run_start() %}
    {%- if execute -%}
        {%- do run_query(
            "create table if not exists " ~ run_sequence_table() ~ " (run_seq bigint, "
            ~ "invocation_id string not null, command string not null, started_at timestamp not null) "
            ~ "using parquet") -%}
    {%- endif -%}
    insert into {{ run_sequence_table() }}
    select coalesce(max(run_seq), 0) + 1, '{{ invocation_id }}', '{{ flags.WHICH }}', current_timestamp
    from {{ run_sequence_table() }}
{% endmacro %}

{#-
    This invocation's run_seq. Models of `tests_scoped_by_run` select it as `written_in_run`.
    Commands that run no on-run-start hook (compile, show) get null; they write nothing. On a
    database no run has numbered yet (a new warehouse, SQLFluff's in-memory `lint` target) there
    is no table to look in.
-#}
{% macro this_run() -%}
    {%- if not execute -%}
        {{ return('cast(null as bigint)') }}
    {%- endif -%}
    {%- if flags.WHICH not in ('run', 'build', 'test', 'retry')
        and adapter.get_relation(target.get('database'), target.schema, 'kam_dbt_runs') is none -%}
        {{ return('cast(null as bigint)') }}
    {%- endif -%}
    {%- set rows = run_query(
        "select run_seq from " ~ run_sequence_table() ~ " where invocation_id = '"
        ~ invocation_id ~ "'"
    ).rows -%}
    {%- if rows | length == 1 -%}
        {{ return(rows[0][0] | string) }}
    {%- elif flags.WHICH in ('run', 'build', 'test', 'retry') -%}
        {{ exceptions.raise_compiler_error(
            "kam: this dbt run has no number in " ~ run_sequence_table()
            ~ "; the on-run-start hook record_run_start() must run first (dbt_project.yml)") }}
    {%- else -%}
        {{ return('cast(null as bigint)') }}
    {%- endif -%}
{%- endmacro %}

{#-
    Called while a data test renders (`model` is the test node): SQL for the run after which the
    tested model's rows are checked (null while the model has no passing run: check every row),
    or none when the test is not scoped this way. A scalar subquery, not a value looked up here:
    DuckDB evaluates it once, and the many small tests of a night need no query each to render.
-#}
{% macro written_rows_mark() -%}
    {%- set attached = (model.get('attached_node') or '').split('.')[-1] -%}
    {%- if not execute or attached not in var('tests_scoped_by_run', [])
        or (model.get('test_metadata') or {}).get('name') == 'relationships' -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return("(select max(passed_run) from " ~ tests_passed_table()
              ~ " where model_name = '" ~ attached ~ "')") }}
{%- endmacro %}

{#-
    For a uniqueness test: the tested model's whole table when the test's `model` is narrowed to
    the rows written since the last passing run (the keys to look up; every row while there is
    none), else none.
-#}
{% macro whole_table_when_scoped_by_run() -%}
    {%- if written_rows_mark() is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = graph.nodes[model.attached_node] -%}
    {{ return(api.Relation.create(
        database=node.database, schema=node.schema, identifier=node.alias or node.name)) }}
{%- endmacro %}

{#-
    dbt's `unique`, counting over the whole table when the test is scoped to the written rows
    (a key written now may repeat one written earlier).
-#}
{% macro default__test_unique(model, column_name) %}
{%- set whole = whole_table_when_scoped_by_run() %}

select
    {{ column_name }} as unique_field,
    count(*) as n_records

from {{ whole if whole is not none else model }}
where {{ column_name }} is not null
{%- if whole is not none %}
    and {{ column_name }} in (select {{ column_name }} from {{ model }})
{%- endif %}
group by {{ column_name }}
having count(*) > 1

{% endmacro %}

{#-
    dbt_utils' unique_combination_of_columns (dispatched here by dbt_project.yml `dispatch`),
    counting over the whole table when the test is scoped to the written rows. A hash of the
    columns finds their combinations there (null-safe, as group by is); a collision only counts
    more rows, which the group by then tells apart.
-#}
{% macro default__test_unique_combination_of_columns(model, combination_of_columns, quote_columns=false) %}
{%- set column_list = [] %}
{%- for column in combination_of_columns %}
    {%- do column_list.append(adapter.quote(column) if quote_columns else column) %}
{%- endfor %}
{%- set columns = column_list | join(', ') %}
{%- set whole = whole_table_when_scoped_by_run() %}

select
    {{ columns }},
    count(*) as row_count
from {{ whole if whole is not none else model }}
{%- if whole is not none %}
where {{ hash_columns(column_list) }} in (
    select {{ hash_columns(column_list) }} from {{ model }}
)
{%- endif %}
group by {{ columns }}
having count(*) > 1

{% endmacro %}
