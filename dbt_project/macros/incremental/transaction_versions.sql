{#
    Incremental transaction aggregates (see docs/incremental.md).

    The aggregates over order lines keep one row per group of line *versions*: every raw row
    landed on or before the run's as-of date is a version, valid from its landing date
    (landed_date) until the landing date of the next version of the same order line
    (superseded_date, null while current). A fact as of date D sums the versions valid on D,
    so later landings and corrections never leak into an earlier date and a backfill needs no
    recomputation. A nightly run recomputes only the (customer_id, landed_date) groups that
    hold a version of an order line landed since the last run; those are the incremental
    keys (delete+insert).

    The versions (`versions` below) are the rows of the staging view stg_exports__transactions.
    What a run takes in is worked out from the aggregate's own rows (its latest landed_date,
    loaded_at and line count) against that view, not from a side table keyed by name.
#}

{#-
    True for a version of a row valid on the as-of date: from `valid_from` (its landing date, or
    in the order and category aggregates the later of that and the line's own date) until the
    date a later version landed.
-#}
{% macro is_valid_on_as_of_date(valid_from='landed_date') -%}
    ({{ valid_from }} <= {{ as_of_date() }} and (superseded_date is null or superseded_date > {{ as_of_date() }}))
{%- endmacro %}

{#-
    First as-of date on which an order-line version counts: the business date it landed, or
    its own date if later. Ingestion accepts lines dated up to a day after their folder's date;
    facts use only data dated on or before the as-of date, so such a line must not count, nor
    move its order's or category's dates, before its date.
-#}
{% macro valid_from() -%}
    greatest(landed_date, ordered_date)
{%- endmacro %}

{#-
    How this run must build the calling incremental model from `versions`:
    'full' (first build or --full-refresh), 'incremental' (only what landed after
    `watermark`), or 'rebuild' (raw rows on or before the watermark were replaced or removed
    since the last run, e.g. an old folder re-delivered: recompute everything, after the
    pre-hook `reset_when_rebuilding` has emptied the table).
-#}
{% macro transaction_versions_state(versions) %}
    {#- Unit tests render models without a target relation: they test the full build. -#}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return({'mode': 'full'}) }}
    {%- endif -%}
    {%- set built = run_query(
        "select max(landed_date), max(loaded_at), "
        ~ "coalesce(sum(line_count) filter (where landed_date <= " ~ as_of_date() ~ "), 0) "
        ~ "from " ~ this
    ).rows[0] -%}
    {%- if built[0] is none -%}
        {{ return({'mode': 'rebuild'}) }}
    {%- endif -%}
    {%- set landed = run_query(
        "select count(*), count(*) filter (where loaded_at > cast('" ~ built[1] ~ "' as timestamp)) "
        ~ "from " ~ versions ~ " where landed_date <= date '" ~ built[0] ~ "'"
    ).rows[0] -%}
    {%- if landed[0] != built[2] or landed[1] > 0 -%}
        {{ return({'mode': 'rebuild'}) }}
    {%- endif -%}
    {{ return({'mode': 'incremental', 'watermark': built[0] | string}) }}
{% endmacro %}

{#-
    The config of every aggregate of order-line versions (int_orders_aggregated and the
    customer × day, category and product aggregates): incremental, a night replacing whole
    (customer_id, landed_date) groups (delete+insert on DuckDB, insert_overwrite of the
    landed_date partitions on Spark), emptied first when it must rebuild.
-#}
{% macro transaction_aggregate_config() -%}
    {{ config(
        materialized='incremental',
        incremental_strategy=replace_strategy(),
        partition_by=business_date_partition('landed_date'),
        unique_key=['customer_id', 'landed_date'],
        on_schema_change='fail',
        pre_hook="{{ reset_when_rebuilding(ref('stg_exports__transactions')) }}",
    ) }}
{%- endmacro %}

{#- Pre-hook: empty the table before a 'rebuild', so groups that vanished from raw go too. -#}
{% macro reset_when_rebuilding(versions) -%}
    {{ empty_table_on_rebuild(transaction_versions_state(versions)) }}
{%- endmacro %}

{#-
    The CTE `name` of every aggregate of order-line versions but the customer × day one: the
    versions this run must aggregate, each with the date it counts from (valid_from).
    int_orders_aggregated and the customer × category and product aggregates
    (customer_sales_span) read them alike: a line counts from the same date in each.
-#}
{% macro dated_transaction_versions(name) %}
{{ name }} as (

    select
        *,
        {{ valid_from() }} as valid_from
    from {{ transaction_versions_to_aggregate(ref('stg_exports__transactions')) }}

)
{%- endmacro %}

{#-
    The versions this run must aggregate, each with its superseded_date: all of them on a full
    build or rebuild; otherwise every version in a (customer_id, landed_date) group that holds a
    version of an order line landed after the watermark. A correction that moves a line to
    another customer or day thereby recomputes both the old and the new group.
-#}
{% macro transaction_versions_to_aggregate(versions) %}
    {%- set state = transaction_versions_state(versions) -%}
    {%- if state.mode == 'incremental' %}
    (
        with

        touched_lines as (

            select distinct order_id, line_number
            from {{ versions }}
            where landed_date > date '{{ state.watermark }}'

        ),

        affected_groups as (

            {%- if config.get('incremental_strategy') == 'insert_overwrite' %}
            {#- The write replaces whole landed_date partitions (Spark): every group of a
                landed_date that holds a touched line. #}
            select distinct customer_id, landed_date
            from {{ versions }}
            where landed_date in (
                select landed_date from {{ versions }}
                semi join touched_lines using (order_id, line_number)
            )
            {%- else %}
            select distinct customer_id, landed_date
            from {{ versions }}
            semi join touched_lines using (order_id, line_number)
            {%- endif %}

        ),

        group_lines as (

            select distinct order_id, line_number
            from {{ versions }}
            semi join affected_groups using (customer_id, landed_date)

        ),

        -- Supersession needs every version of those lines, in and out of the affected groups.
        line_versions as (

            select
                *,
                lead(landed_date) over (
                    partition by order_id, line_number
                    order by landed_date, source_file, source_line
                ) as superseded_date
            from {{ versions }}
            semi join group_lines using (order_id, line_number)

        )

        select * from line_versions
        semi join affected_groups using (customer_id, landed_date)
    )
    {%- else %}
    (
        with

        -- Nearly every order line has a single version, whose superseded_date is null; only
        -- lines with several versions need the window, a sort of every row it reads. A hash
        -- aggregate finds them far more cheaply than sorting all versions. A hash collision
        -- only sends single-version lines through the window, which gives them null as well;
        -- hash() of null keys is a value, so null keys group as the window partitions them.
        multi_version_lines as {{ materialized_cte() }} (

            select {{ hash_columns(['order_id', 'line_number']) }} as line_hash
            from {{ versions }}
            group by line_hash
            having count(*) > 1

        ),

        single_versions as (

            select
                versions.*,
                cast(null as date) as superseded_date
            from {{ versions }} as versions
            anti join multi_version_lines
                on {{ hash_columns(['versions.order_id', 'versions.line_number']) }} = multi_version_lines.line_hash

        ),

        multi_versions as (

            select
                versions.*,
                -- Same order as the latest_version macro's pick (macros/latest_version.sql):
                -- business date, file, line. Two versions landed the same day make the
                -- earlier one never valid.
                lead(versions.landed_date) over (
                    partition by versions.order_id, versions.line_number
                    order by versions.landed_date, versions.source_file, versions.source_line
                ) as superseded_date
            from {{ versions }} as versions
            semi join multi_version_lines
                on {{ hash_columns(['versions.order_id', 'versions.line_number']) }} = multi_version_lines.line_hash

        )

        select * from single_versions
        union all
        select * from multi_versions
    )
    {%- endif %}
{% endmacro %}

{#-
    On-run-start (run and build): drop a selected model's table that lacks `column`, so this
    run builds it in full, and say so in the log. For the order-line aggregates built before they
    had valid_from: their old groups mixed lines dated after their folder with the others, and no
    incremental night could separate them. A full build of them takes seconds.
-#}
{% macro rebuild_tables_missing(column, models) %}
    {%- set drops, looked_up = [], [] -%}
    {%- if execute and flags.WHICH in ('run', 'build') -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.name in models
            and node.unique_id in selected_resources -%}
            {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
            {%- if relation is not none -%}
                {%- do looked_up.append(relation) -%}
                {%- if column not in (
                    adapter.get_columns_in_relation(relation) | map(attribute='name') | list
                ) -%}
                    {{ log('kam: ' ~ relation.schema ~ '.' ~ relation.identifier
                           ~ ' has no column ' ~ column
                           ~ ' (built by an earlier kam): rebuilding it in full', info=true) }}
                    {#- Dropped, and forgotten by dbt's relation cache so that the model finds
                        no table and builds it in full (macros/engine.sql). -#}
                    {%- do drops.append(drop_for_full_build(relation)) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {#- The column look-ups opened a transaction; end it, or the drops would stay in it,
            unseen by the models' connections, until the run ends. -#}
        {%- if looked_up -%}
            {%- do adapter.commit() -%}
        {%- endif -%}
    {%- endif -%}
    {{ drops | join(' ') }} select 1
{% endmacro %}
