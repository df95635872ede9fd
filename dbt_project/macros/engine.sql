{#
    Where DuckDB (dbt-duckdb, the default) and Spark (dbt-spark, Parquet tables) differ, each
    model calls one macro here; adapter.dispatch picks `duckdb__`/`default__` or `spark__`.
    DuckDB keeps the SQL it ran before there was a second engine. docs/spark.md lists them.
#}

{#-
    Incremental strategy of the models that replace what a night recomputes. DuckDB deletes
    the rows of the recomputed keys and inserts them again; plain Parquet tables on Spark
    cannot delete rows, so they overwrite whole partitions (`business_date_partition`).
-#}
{% macro replace_strategy() -%}
    {{ return(adapter.dispatch('replace_strategy')()) }}
{%- endmacro %}

{% macro default__replace_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__replace_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{#-
    `partition_by` of an incremental model keyed by a business date: that column on Spark,
    so that `insert_overwrite` replaces only the dates a night writes; none on DuckDB.
-#}
{% macro business_date_partition(column) -%}
    {{ return(adapter.dispatch('business_date_partition')(column)) }}
{%- endmacro %}

{% macro default__business_date_partition(column) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__business_date_partition(column) -%}
    {{ return([column]) }}
{%- endmacro %}

{#-
    Whether the engine's tables delete rows by key. Plain Parquet tables on Spark do not (no
    DELETE, MERGE or primary key), so the models that bring id-keyed rows or per-customer
    tails forward (macros/incremental/landing_state.sql) rebuild in full there every night.
-#}
{% macro can_delete_rows() -%}
    {{ return(adapter.dispatch('can_delete_rows')()) }}
{%- endmacro %}

{% macro default__can_delete_rows() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro spark__can_delete_rows() -%}
    {{ return(false) }}
{%- endmacro %}

{#- Remove every row of `relation` (a pre-hook before a rebuild). -#}
{% macro empty_table(relation) -%}
    {{ return(adapter.dispatch('empty_table')(relation)) }}
{%- endmacro %}

{% macro default__empty_table(relation) -%}
    delete from {{ relation }}
{%- endmacro %}

{% macro spark__empty_table(relation) -%}
    truncate table {{ relation }}
{%- endmacro %}

{#-
    A table of kam's own bookkeeping (run numbers, test and partition records) in the target
    schema. Spark's catalog has no database level above the schema (target.database is unset).
-#}
{% macro side_table(identifier) -%}
    {{ return(adapter.dispatch('side_table')(identifier)) }}
{%- endmacro %}

{% macro default__side_table(identifier) -%}
    {{ target.database }}.{{ target.schema }}.{{ identifier }}
{%- endmacro %}

{% macro spark__side_table(identifier) -%}
    {{ target.schema }}.{{ identifier }}
{%- endmacro %}

{#-
    Whole days from `start` to `end` (dates), as a bigint. DuckDB subtracts dates; on Spark
    date - date is an interval, so dbt's cross-database datediff (Spark's int datediff) is cast.
-#}
{% macro days_between(start, end) -%}
    {{ return(adapter.dispatch('days_between')(start, end)) }}
{%- endmacro %}

{% macro default__days_between(start, end) -%}
    ({{ end }} - {{ start }})
{%- endmacro %}

{% macro spark__days_between(start, end) -%}
    cast({{ dbt.datediff(start, end, 'day') }} as bigint)
{%- endmacro %}

{#- A 64-bit hash of several columns; null keys hash to a value on both engines. -#}
{% macro hash_columns(columns) -%}
    {{ return(adapter.dispatch('hash_columns')(columns)) }}
{%- endmacro %}

{% macro default__hash_columns(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__hash_columns(columns) -%}
    xxhash64({{ columns | join(', ') }})
{%- endmacro %}

{#- The columns as one row value, compared as a whole (`is distinct from` with nulls equal). -#}
{% macro row_value(columns) -%}
    {{ return(adapter.dispatch('row_value')(columns)) }}
{%- endmacro %}

{% macro default__row_value(columns) -%}
    row({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__row_value(columns) -%}
    struct({{ columns | join(', ') }})
{%- endmacro %}

{#-
    The keyword that makes a CTE computed once (DuckDB's `as materialized`); Spark has none and
    reuses a CTE's shuffle output on its own.
-#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}
    materialized
{%- endmacro %}

{% macro spark__materialized_cte() -%}
{%- endmacro %}

{#-
    Statement of an on-run-start hook that drops `relation`, whose table must be built in full.
    DuckDB drops it in the hook's own statement (after the column look-ups' transaction ends) and
    dbt's relation cache forgets it; Spark's session runs one statement per hook, so the
    adapter drops it at once.
-#}
{% macro drop_for_full_build(relation) -%}
    {{ return(adapter.dispatch('drop_for_full_build')(relation)) }}
{%- endmacro %}

{% macro default__drop_for_full_build(relation) -%}
    {%- do adapter.cache_dropped(relation) -%}
    {{ return('drop table ' ~ relation ~ ';') }}
{%- endmacro %}

{% macro spark__drop_for_full_build(relation) -%}
    {%- do adapter.drop_relation(relation) -%}
    {{ return('') }}
{%- endmacro %}

{#- Every column of `relation_alias` but `columns` (DuckDB's `* exclude`, Spark's `* except`). -#}
{% macro star_except(relation_alias, columns) -%}
    {{ return(adapter.dispatch('star_except')(relation_alias, columns)) }}
{%- endmacro %}

{% macro default__star_except(relation_alias, columns) -%}
    {{ relation_alias }}.* exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__star_except(relation_alias, columns) -%}
    {{ relation_alias }}.* except ({{ columns | join(', ') }})
{%- endmacro %}

{#-
    The average of a decimal column as a double. DuckDB's avg of a decimal is a double; Spark's
    is a decimal rounded to 4 more places, so Spark averages the doubles instead.
-#}
{% macro average_as_double(column) -%}
    {{ return(adapter.dispatch('average_as_double')(column)) }}
{%- endmacro %}

{% macro default__average_as_double(column) -%}
    avg({{ column }})
{%- endmacro %}

{% macro spark__average_as_double(column) -%}
    avg(cast({{ column }} as double))
{%- endmacro %}
