{#
    One row per order line as of the as-of date, the version picked from stg_exports__transactions:
    rows landed later are invisible, and when a key was corrected in a later landing date the
    latest landing date on or before the as-of date wins (then the latest file and line).

    A view: nothing in the nightly build reads it (the transaction aggregates keep every
    version, macros/incremental/transaction_versions.sql), so a table would copy every order
    line each night for no reader.
#}

{{ config(materialized='view') }}

select * from {{ ref('stg_exports__transactions') }}
{{ latest_version(['order_id', 'line_number']) }}
