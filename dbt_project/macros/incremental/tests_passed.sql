{#
    Data tests that check only what is not yet tested (docs/incremental.md).

    The var `tests_scoped` maps a model to the rows its data tests check, as SQL with two
    placeholders: `__as_of_date__` (this run's date) and `__passed_through__`, the as-of date of
    the last run in which every data test of the model ran and passed. `main.kam_tests_passed`
    records that date; the on-run-end hook advances it. Until a model has such a run its tests
    check every row, and a night whose tests fail does not advance it: the next night tests the
    failed night's rows again, instead of publishing them untested.

    Models listed in the var `tests_scoped_by_run` are scoped by the run that wrote each row
    instead (macros/incremental/written_rows.sql); the same record holds their last passing run.
#}

{% macro tests_passed_table() -%}
    {{ side_table('kam_tests_passed') }}
{%- endmacro %}

{#- on-run-start: create the record before any test reads it. -#}
{% macro create_tests_passed_table() %}
    {{ return(adapter.dispatch('create_tests_passed_table')()) }}
{% endmacro %}

{% macro default__create_tests_passed_table() %}
    create table if not exists {{ tests_passed_table() }} (
        model_name varchar primary key,
        passed_through date not null,
        recorded_at timestamp not null
    );
    {#- passed_run: for the models of `tests_scoped_by_run` (macros/incremental/written_rows.sql). -#}
    alter table {{ tests_passed_table() }} add column if not exists passed_run bigint
{% endmacro %}

{#- A Parquet table has no primary key to upsert on: one partition per model, overwritten. -#}
{% macro spark__create_tests_passed_table() %}
    create table if not exists {{ tests_passed_table() }} (
        passed_through date not null,
        recorded_at timestamp not null,
        passed_run bigint,
        model_name string
    ) using parquet partitioned by (model_name)
{% endmacro %}

{#-
    The rows of `relation` a data test attached to it checks (SQL condition), or none for all.
    A test's other relations (the parent of a relationships test) are never narrowed.
-#}
{% macro tests_scope(relation) -%}
    {%- set scopes = var('tests_scoped', {}) -%}
    {%- set attached = (model.get('attached_node') or '').split('.')[-1] -%}
    {%- if execute and attached == relation.identifier
        and attached in var('tests_scoped_by_run', []) -%}
        {%- set mark = written_rows_mark() -%}
        {{ return(none if mark is none
                  else '(' ~ mark ~ ' is null or written_in_run > ' ~ mark ~ ')') }}
    {%- endif -%}
    {%- if not execute or relation.identifier not in scopes or attached != relation.identifier -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set passed = run_query(
        "select passed_through from " ~ tests_passed_table()
        ~ " where model_name = '" ~ relation.identifier ~ "'"
    ).rows -%}
    {%- if passed | length == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set scope = scopes[relation.identifier]
        | replace('__passed_through__', "date '" ~ passed[0][0] ~ "'") -%}
    {{ return('(' ~ scope ~ ')') }}
{%- endmacro %}

{#-
    on-run-end: for each model in `tests_scoped` or `tests_scoped_by_run` whose every enabled
    data test ran in this invocation and passed (a warning passes), record that its rows are
    tested through this run's as-of date and this run. A failed, erroring or skipped test, or a
    test not selected, keeps the earlier record.
-#}
{% macro record_tests_passed(results) %}
    {{ return(adapter.dispatch('record_tests_passed')(results)) }}
{% endmacro %}

{#- The models of `tests_scoped` and `tests_scoped_by_run` whose every data test passed. -#}
{% macro models_whose_tests_passed(results) %}
    {%- set outcome = {} -%}
    {%- for result in results if result.node.resource_type == 'test' -%}
        {%- do outcome.update({result.node.unique_id: result.status}) -%}
    {%- endfor -%}
    {%- set passed = [] -%}
    {%- for name in (var('tests_scoped', {}) | list) + var('tests_scoped_by_run', []) -%}
        {%- set tests = [] -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'test'
            and (node.attached_node or '').split('.')[-1] == name -%}
            {%- do tests.append(outcome.get(node.unique_id)) -%}
        {%- endfor -%}
        {%- if tests and tests | reject('in', ['pass', 'warn']) | list | length == 0 -%}
            {%- do passed.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(passed) }}
{% endmacro %}

{% macro default__record_tests_passed(results) %}
    {%- if not execute -%}
        select 1
    {%- else -%}
        {%- set passed = models_whose_tests_passed(results) -%}
        {%- if passed -%}
            insert into {{ tests_passed_table() }}
                (model_name, passed_through, recorded_at, passed_run)
            select model_name, {{ as_of_date() }}, current_timestamp::timestamp, {{ this_run() }}
            from (values ('{{ passed | join("'), ('") }}')) as passed (model_name)
            on conflict (model_name) do update set
                passed_through = greatest(passed_through, excluded.passed_through),
                recorded_at = excluded.recorded_at,
                passed_run = greatest(passed_run, excluded.passed_run)
        {%- else -%}
            select 1
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{#-
    Spark: each model's record is its own partition, overwritten with the later of the earlier
    record and this run (read first: a table is not overwritten while the same query reads it).
    The session runs one statement per call, so each is run here.
-#}
{% macro spark__record_tests_passed(results) %}
    {%- if execute -%}
        {%- for name in models_whose_tests_passed(results) -%}
            {%- set earlier = run_query(
                "select passed_through, passed_run from " ~ tests_passed_table()
                ~ " where model_name = '" ~ name ~ "'").rows -%}
            {%- set through = "date '" ~ earlier[0][0] ~ "'" if earlier else 'null' -%}
            {%- set run = earlier[0][1] if earlier and earlier[0][1] is not none else 'null' -%}
            {%- do run_query(
                "insert overwrite table " ~ tests_passed_table() ~ " partition (model_name = '"
                ~ name ~ "') select greatest(" ~ as_of_date() ~ ", " ~ through
                ~ "), current_timestamp, greatest(" ~ this_run() ~ ", " ~ run ~ ")") -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}
