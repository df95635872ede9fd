{#
    The warehouse's log of the dates written to history tables (warehouse/partition_writes.py
    has the same table for the score history). Publishing replaces only the dates logged since
    the previous publication, so a night does not compare or rewrite all history.
#}

{% macro partition_writes_table() -%}
    {{ side_table('kam_partition_writes') }}
{%- endmacro %}

{#- on-run-start: create the log before any model runs (same columns as the Python side). -#}
{% macro create_partition_writes_table() %}
    create table if not exists {{ partition_writes_table() }} (
        table_name {{ dbt.type_string() }} not null,
        as_of_date date not null,
        write_id bigint not null,
        written_at timestamp not null
    )
{% endmacro %}

{#- Post-hook of a history model: log that its rows of this run's as-of date were written. -#}
{% macro record_partition_write() %}
    insert into {{ partition_writes_table() }}
    select
        '{{ this.schema }}.{{ this.identifier }}',
        {{ as_of_date() }},
        coalesce(max(write_id), 0) + 1,
        current_timestamp::timestamp
    from {{ partition_writes_table() }}
{% endmacro %}
