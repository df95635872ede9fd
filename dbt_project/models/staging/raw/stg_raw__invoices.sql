{#
    One row per invoice as of the as-of date: rows landed later are invisible, and when a key
    was corrected in a later landing date the latest landing date on or before the as-of date
    wins (then the latest file and line).

    A table, not a view: several finance models and tests read it every night, and the
    de-duplication window over all history would run again for each. Incremental (macros/
    landing_state.sql): a nightly run takes in only the rows landed since the last build, whose
    versions replace the earlier ones of their invoice_id; a backfill or re-delivered folder rebuilds.
#}

{{
    config(
        materialized='incremental',
        incremental_strategy=replace_strategy(),
        unique_key='invoice_id',
        on_schema_change='fail',
        pre_hook="{{ reset_on_rebuild(['invoices']) }}",
        post_hook="{{ record_landing_state(['invoices']) }}",
    )
}}

-- depends_on: {{ source('raw', 'ingestion_ledger') }}

with

source as (

    select * from {{ source('raw', 'invoices') }}

),

latest_version as (

    select * from source
    where {{ landed_since_watermark('_business_date', ['invoices']) }}
    qualify
        row_number() over (
            partition by invoice_id
            order by _business_date desc, _source_file desc, _source_line desc
        ) = 1

),

final as (

    select
        invoice_id,
        customer_id,
        invoice_date,
        due_date,
        amount,
        currency,
        amount < 0 as is_credit_note,
        _business_date as landed_date,
        _source_file as source_file,
        _source_line as source_line
    from latest_version

)

-- The run that wrote the row: its data tests check rows written since they last passed.
select *, {{ this_run() }} as written_in_run from final
