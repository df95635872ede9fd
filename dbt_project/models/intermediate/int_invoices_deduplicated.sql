{#
    One row per invoice as of the as-of date, the version picked from stg_exports__invoices: when a
    key was corrected in a later landing date, the latest landing date on or before the as-of
    date wins (then the latest file and line).

    A table, not a view: several finance models and tests read it every night, and the
    de-duplication window over all history would run again for each.

    Incremental (macros/incremental/landing_state.sql): a nightly run takes in only the versions landed since
    the last build, which replace the earlier ones of their invoice_id; a backfill or re-delivered
    folder rebuilds.
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

-- depends_on: {{ source('ingestion', 'ingestion_ledger') }}

with

invoices as (

    select * from {{ ref('stg_exports__invoices') }}

),

latest_version as (

    select * from invoices
    where {{ landed_since_watermark('landed_date', ['invoices']) }}
    {{ latest_version(['invoice_id']) }}

),

final as (

    -- The run that wrote the row: its data tests check rows written since they last passed.
    select *, {{ this_run() }} as written_in_run from latest_version

)

select * from final
