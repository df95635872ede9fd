{#
    Incremental models over whole raw sources (see docs/incremental.md).

    A model built this way is exact "as of" one business date W: it equals a full build with
    as_of_date = W. The table `main.kam_incremental_state` records W for each such model and the
    latest ingestion-ledger time of its sources when it was built. A later run as of D >= W then
    only has to take in the raw rows landed in (W, D], provided no business date on or before W
    was (re)loaded since: ingestion writes a ledger row for every load, re-delivery, emptied
    folder or rejected file, so the ledger tells. Otherwise (an older business date, a re-delivered
    folder, no state, the first build) the model is rebuilt from all rows landed on or before D.
#}

{% macro incremental_state_table() -%}
    {{ side_table('kam_incremental_state') }}
{%- endmacro %}

{#-
    How this run must build the calling model from the raw `sources` (tables of source
    'exports', as the ledger's `source` column names them):
    {'mode': 'full'} on a first build or --full-refresh, {'mode': 'rebuild'} when the table's
    rows cannot be brought forward (the pre-hook `reset_on_rebuild` empties it first), or
    {'mode': 'incremental', 'watermark': 'YYYY-MM-DD'}: only rows landed after the watermark
    are new.
-#}
{% macro landing_state(sources) %}
    {#- Unit tests render models without a target relation: they test the full build. -#}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return({'mode': 'full'}) }}
    {%- endif -%}
    {#- An engine whose tables cannot delete rows (Spark's Parquet) rebuilds these models. -#}
    {%- if not can_delete_rows() -%}
        {{ return({'mode': 'rebuild'}) }}
    {%- endif -%}
    {%- set exists = run_query(
        "select count(*) from duckdb_tables() where database_name = '" ~ target.database
        ~ "' and schema_name = '" ~ target.schema ~ "' and table_name = 'kam_incremental_state'"
    ).rows[0][0] -%}
    {%- if exists == 0 -%}
        {{ return({'mode': 'rebuild'}) }}
    {%- endif -%}
    {%- set built = run_query(
        "select as_of_date, ledger_high_water from " ~ incremental_state_table()
        ~ " where model_name = '" ~ this.identifier ~ "'"
    ).rows -%}
    {%- if built | length == 0 -%}
        {{ return({'mode': 'rebuild'}) }}
    {%- endif -%}
    {%- set watermark = built[0][0] | string -%}
    {%- set high_water = built[0][1] -%}
    {%- set check = run_query(
        "select " ~ as_of_date() ~ " < date '" ~ watermark ~ "', count(*) from "
        ~ source('ingestion', 'ingestion_ledger')
        ~ " where source in ('" ~ sources | join("', '") ~ "')"
        ~ " and business_date <= date '" ~ watermark ~ "'"
        ~ (" and loaded_at > cast('" ~ high_water ~ "' as timestamp)" if high_water is not none else "")
    ).rows[0] -%}
    {#- An earlier date than the table's (a backfill), or a date on or before it reloaded. -#}
    {%- if check[0] or check[1] > 0 -%}
        {{ return({'mode': 'rebuild'}) }}
    {%- endif -%}
    {{ return({'mode': 'incremental', 'watermark': watermark}) }}
{% endmacro %}

{#- SQL filter on a landing date: (watermark, as_of_date] in an incremental run, else <= as_of_date. -#}
{% macro landed_since_watermark(column, sources) -%}
    {%- set state = landing_state(sources) -%}
    {%- if state.mode == 'incremental' -%}
        ({{ column }} > date '{{ state.watermark }}' and {{ column }} <= {{ as_of_date() }})
    {%- else -%}
        ({{ column }} <= {{ as_of_date() }})
    {%- endif -%}
{%- endmacro %}

{#-
    A pre-hook's statement: empty the table when this run rebuilds it (`state`, from
    landing_state or transaction_versions_state), so rows that vanished from raw go too; a
    statement that does nothing otherwise.
-#}
{% macro empty_table_on_rebuild(state) %}
    {%- if state.mode == 'rebuild' -%}
        {{ empty_table(this) }}
    {%- else -%}
        select 1
    {%- endif -%}
{% endmacro %}

{#- Pre-hook of an id-keyed model: empty it before a rebuild. -#}
{% macro reset_on_rebuild(sources) -%}
    {{ empty_table_on_rebuild(landing_state(sources)) }}
{%- endmacro %}

{#-
    on-run-start: create the state table before any model runs. Models built in parallel
    threads would otherwise both try to create it (a DuckDB catalog write-write conflict).
-#}
{% macro create_incremental_state_table() %}
    {%- if not can_delete_rows() -%}
        select 1
    {%- else %}
    create table if not exists {{ incremental_state_table() }} (
        model_name varchar primary key,
        as_of_date date not null,
        ledger_high_water timestamp,
        built_at timestamp not null
    )
    {%- endif %}
{% endmacro %}

{#- Post-hook: record that the table is now exact as of this run's date. -#}
{% macro record_landing_state(sources) %}
    {%- if not can_delete_rows() -%}
        select 1
    {%- else %}
    insert or replace into {{ incremental_state_table() }}
    select
        '{{ this.identifier }}',
        {{ as_of_date() }},
        (select max(loaded_at) from {{ source('ingestion', 'ingestion_ledger') }}
         where source in ('{{ sources | join("', '") }}')),
        current_timestamp::timestamp
    {%- endif %}
{% endmacro %}

{#-
    Customers whose finance rows (invoices, payments) can differ between the watermark and this
    run's date, each with the earliest date (`finance_date`) of a row that changed: the customers
    of every version of an invoice or payment landed since the watermark (the earlier versions'
    customers and dates too, in case a correction moved the row to another customer or date),
    and those with an invoice or payment dated since the watermark (a row may be dated the day
    after the folder it landed in). Per-customer finance models rebuild exactly these; rows of
    theirs dated before the earliest change are unchanged.
-#}
{% macro finance_customers_since(watermark) -%}
    {#- Reads every version from the sources, not from the staging views: a model's hook may
        only ref() its model's parents, and the unit tests of the finance models would then
        need the views as inputs too. -#}
    (
        select customer_id, invoice_date as finance_date from {{ source('exports', 'invoices') }}
        where _business_date <= {{ as_of_date() }}
            and invoice_id in (
                select invoice_id from {{ source('exports', 'invoices') }}
                where _business_date > date '{{ watermark }}' and _business_date <= {{ as_of_date() }}
            )
        union
        select customer_id, payment_date from {{ source('exports', 'payments') }}
        where _business_date <= {{ as_of_date() }}
            and payment_id in (
                select payment_id from {{ source('exports', 'payments') }}
                where _business_date > date '{{ watermark }}' and _business_date <= {{ as_of_date() }}
            )
        union
        select customer_id, invoice_date from {{ ref('int_invoices_deduplicated') }}
        where invoice_date > date '{{ watermark }}' and invoice_date <= {{ as_of_date() }}
        union
        select customer_id, payment_date from {{ ref('int_payments_deduplicated') }}
        where payment_date > date '{{ watermark }}' and payment_date <= {{ as_of_date() }}
    )
{%- endmacro %}

{#- The scratch table holding the customers a per-customer finance model rebuilds this run. -#}
{% macro finance_customers_table() -%}
    {{ this.database }}.{{ this.schema }}.{{ this.identifier }}__customers_to_rebuild
{%- endmacro %}

{#-
    Config of a per-customer finance model (int_payments_applied, int_customer_balance_events):
    appended to after its pre-hook has removed the rows it rebuilds (`changed_rows`, see
    reset_finance_customers); the post-hook drops the scratch table and records the state.
-#}
{% macro finance_tail_config(changed_rows) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ reset_finance_customers(changed_rows='" ~ (changed_rows | replace("'", "\\'")) ~ "') }}",
        post_hook="{{ finish_finance_customers() }}",
    ) }}
{%- endmacro %}

{#-
    The import CTEs of a per-customer finance model, `invoices` and `payments`: the rows of the
    customers this run rebuilds (every customer on a full build). Both models filter both
    inputs alike, so that a night's rebuilt tail is what a full build would write.
-#}
{% macro finance_tail_imports() -%}
invoices as (

    select * from {{ ref('int_invoices_deduplicated') }}
    where {{ finance_customer_filter() }}

),

payments as (

    select * from {{ ref('int_payments_deduplicated') }}
    where {{ finance_customer_filter() }}

),
{%- endmacro %}

{#- SQL filter on customer_id for a per-customer finance model: the customers to rebuild. -#}
{% macro finance_customer_filter(column='customer_id') -%}
    {%- if landing_state(['invoices', 'payments']).mode == 'incremental' -%}
        {{ column }} in (select customer_id from {{ finance_customers_table() }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#-
    Pre-hook of a per-customer finance model: work out once which customers this run
    recomputes, from which date (a scratch table of customer_id and changed_from, dropped by the
    post-hook), and remove their rows: all of them, or with `changed_rows` only the rows it
    selects (an SQL condition on the model's columns and `changed.changed_from`).
-#}
{% macro reset_finance_customers(changed_rows=none) %}
    {%- set state = landing_state(['invoices', 'payments']) -%}
    {%- if state.mode == 'rebuild' -%}
        {{ empty_table(this) }}
    {%- elif state.mode == 'incremental' -%}
        create or replace table {{ finance_customers_table() }} as
        select customer_id, min(finance_date) as changed_from
        from {{ finance_customers_since(state.watermark) }}
        group by customer_id;
        {%- if changed_rows %}
        delete from {{ this }} using {{ finance_customers_table() }} as changed
        where {{ this }}.customer_id = changed.customer_id and ({{ changed_rows }})
        {%- else %}
        delete from {{ this }} where {{ finance_customer_filter() }}
        {%- endif %}
    {%- else -%}
        select 1
    {%- endif -%}
{% endmacro %}

{#-
    The rows of int_customer_balance_events a night rewrites for a customer: the days from
    `changed_from` on, and the last day before it (its next event day may change).
-#}
{% macro balance_tail_days(changed_from) -%}
    event_date >= {{ changed_from }} or coalesce(next_event_date >= {{ changed_from }}, true)
{%- endmacro %}

{#- Post-hook of a per-customer finance model: drop the scratch table, record the state. -#}
{% macro finish_finance_customers() %}
    {%- if not can_delete_rows() -%}
        select 1
    {%- else %}
    drop table if exists {{ finance_customers_table() }};
    {{ record_landing_state(['invoices', 'payments']) }}
    {%- endif %}
{% endmacro %}
