{#
    One row per payment as of the as-of date: rows landed later are invisible, and when a key
    was corrected in a later landing date the latest landing date on or before the as-of date
    wins (then the latest file and line).

    A table, not a view: several finance models and tests read it every night, and the
    de-duplication window over all history would run again for each. Incremental (macros/
    landing_state.sql): a nightly run takes in only the rows landed since the last build, whose
    versions replace the earlier ones of their payment_id; a backfill or re-delivered folder rebuilds.
#}

{{
    config(
        materialized='incremental',
        incremental_strategy=replace_strategy(),
        unique_key='payment_id',
        on_schema_change='fail',
        pre_hook="{{ reset_on_rebuild(['payments']) }}",
        post_hook="{{ record_landing_state(['payments']) }}",
    )
}}

-- depends_on: {{ source('raw', 'ingestion_ledger') }}

with

source as (

    select * from {{ source('raw', 'payments') }}

),

latest_version as (

    select * from source
    where {{ landed_since_watermark('_business_date', ['payments']) }}
    qualify
        row_number() over (
            partition by payment_id
            order by _business_date desc, _source_file desc, _source_line desc
        ) = 1

),

final as (

    select
        payment_id,
        customer_id,
        invoice_id,
        payment_date,
        amount,
        _business_date as landed_date,
        _source_file as source_file,
        _source_line as source_line
    from latest_version

)

-- The run that wrote the row: its data tests check rows written since they last passed.
select *, {{ this_run() }} as written_in_run from final
