{#
    Relations of kam's own models that were renamed away. dbt manages only the relations of the
    models the project has, so a warehouse built by an earlier kam keeps these, unread, and
    kam's bookkeeping keeps rows under their names (docs/incremental.md). This is the one list
    of them, by the schema they were built in: exact names, no patterns, so a relation users
    added to the same schema is never touched.

    staging:
    - stg_raw__customers, stg_raw__transactions, stg_raw__transaction_versions,
      stg_raw__customer_financials: views, renamed stg_exports__* when the dbt source became
      `exports`.
    - stg_raw__invoices, stg_raw__payments, stg_raw__interactions: incremental tables (with rows
      in kam_incremental_state and kam_tests_passed) until the picking of the latest version
      moved to int_*_deduplicated, then views, renamed stg_exports__* like the others.
    - stg_exports__transaction_versions: the view of order-line versions, now
      stg_exports__transactions (its row in kam_tests_passed too).
#}
{% macro former_relations() %}
    {{ return({
        'staging': [
            'stg_exports__transaction_versions',
            'stg_raw__customer_financials',
            'stg_raw__customers',
            'stg_raw__interactions',
            'stg_raw__invoices',
            'stg_raw__payments',
            'stg_raw__transaction_versions',
            'stg_raw__transactions',
        ],
    }) }}
{% endmacro %}

{#-
    on-run-start (run and build): drop each former relation the warehouse still holds, and
    delete the bookkeeping rows kept under its name. Nothing reads those rows: the state and
    test records are looked up by the names of the project's models. A name that is again a
    model of the project is left to dbt.
-#}
{% macro drop_former_relations() %}
    {%- if not execute or flags.WHICH not in ('run', 'build') -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set current = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type in ('model', 'seed', 'snapshot') -%}
        {%- do current.append(node.schema ~ '.' ~ node.alias) -%}
    {%- endfor -%}
    {%- set names = [] -%}
    {%- for schema, identifiers in former_relations().items() -%}
        {%- for identifier in identifiers if (schema ~ '.' ~ identifier) not in current -%}
            {%- do names.append(identifier) -%}
            {%- set relation = adapter.get_relation(target.get('database'), schema, identifier) -%}
            {%- if relation is not none -%}
                {{ log('kam: dropping ' ~ relation.type ~ ' ' ~ schema ~ '.' ~ identifier
                       ~ ', left by an earlier kam under a name no model has now', info=true) }}
                {%- do drop_former_relation(relation) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if names -%}
        {%- do forget_former_models(names) -%}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro drop_former_relation(relation) %}
    {{ return(adapter.dispatch('drop_former_relation')(relation)) }}
{% endmacro %}

{#-
    DuckDB: without `cascade` (dbt-duckdb's drop_relation adds it), so nothing else goes with
    the relation. The statement joins the open transaction, which forget_former_models commits.
-#}
{% macro default__drop_former_relation(relation) %}
    {%- do run_query('drop ' ~ relation.type ~ ' if exists ' ~ relation) -%}
    {%- do adapter.cache_dropped(relation) -%}
{% endmacro %}

{% macro spark__drop_former_relation(relation) %}
    {%- do adapter.drop_relation(relation) -%}
{% endmacro %}

{#- Delete the bookkeeping rows kept under the models' former `names`. -#}
{% macro forget_former_models(names) %}
    {{ return(adapter.dispatch('forget_former_models')(names)) }}
{% endmacro %}

{#-
    The delete begins a transaction if none is open (run_query), so the commit always has one
    to end: the drops and deletes are then visible to the models' connections, not held in an
    open transaction until the run ends.
-#}
{% macro default__forget_former_models(names) %}
    {%- set listed = "('" ~ names | join("', '") ~ "')" -%}
    {%- do run_query('delete from ' ~ tests_passed_table() ~ ' where model_name in ' ~ listed) -%}
    {%- if can_delete_rows() -%}
        {%- do run_query('delete from ' ~ incremental_state_table()
                         ~ ' where model_name in ' ~ listed) -%}
    {%- endif -%}
    {%- do adapter.commit() -%}
{% endmacro %}

{#-
    Spark keeps no kam_incremental_state, and kam_tests_passed holds one partition per model
    (macros/incremental/tests_passed.sql): the former models' partitions are dropped, when any
    is there.
-#}
{% macro spark__forget_former_models(names) %}
    {%- set present = run_query(
        'select distinct model_name from ' ~ tests_passed_table()
        ~ " where model_name in ('" ~ names | join("', '") ~ "')").columns[0].values() -%}
    {%- if present | length > 0 -%}
        {%- set partitions = [] -%}
        {%- for name in present -%}
            {%- do partitions.append("partition (model_name = '" ~ name ~ "')") -%}
        {%- endfor -%}
        {%- do run_query('alter table ' ~ tests_passed_table() ~ ' drop if exists '
                         ~ partitions | join(', ')) -%}
    {%- endif -%}
{% endmacro %}
