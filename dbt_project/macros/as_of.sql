{#
    Point-in-time helpers. Every model computes its rows as of one business date, the
    `as_of_date` var or the KAM_AS_OF_DATE environment variable; these macros render it and the window bounds as SQL date literals so
    DuckDB can push the filters down into the scans.

    A window is half-open on the left, (start, as_of_date], so that a row exactly
    `recent_window_days` before the as-of date is outside the recent window.
#}

{% macro as_of_date() -%}
    {#-
        The var wins (unit tests, a hand-run `dbt build --vars ...`); kam's nightly run sets the
        environment variable KAM_AS_OF_DATE instead. It is read only when nodes execute, never
        while dbt parses, so a new date every night does not force a full re-parse (a changed
        var does) and dbt's partial parsing keeps working.
    -#}
    {%- set value = var('as_of_date', none) -%}
    {%- if value is none and execute -%}
        {%- set value = env_var('KAM_AS_OF_DATE', '') | trim or none -%}
    {%- endif -%}
    {#- At parse time (dagster-dbt, `dbt ls`) the date is legitimately unknown. -#}
    {%- if not execute and value is none -%}
        {{- return("date '1970-01-01'") -}}
    {%- endif -%}
    {%- if value is none -%}
        {{ exceptions.raise_compiler_error(
            "The business date to compute facts for is required: set the environment variable "
            ~ "KAM_AS_OF_DATE=YYYY-MM-DD or run e.g. dbt build --vars '{as_of_date: 2024-06-30}'."
        ) }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', text) -%}
        {{ exceptions.raise_compiler_error(
            "The as-of date (var `as_of_date` or KAM_AS_OF_DATE) must be a date written "
            ~ "YYYY-MM-DD, got '" ~ text ~ "'. Run e.g. dbt build --vars '{as_of_date: 2024-06-30}'."
        ) }}
    {%- endif -%}
    date '{{ text }}'
{%- endmacro %}

{#- `windows_back=1` gives the start of the window before the current one. -#}
{% macro trailing_window_start(windows_back=0) -%}
    cast({{ as_of_date() }} - interval {{ var('trailing_window_months') | int * (1 + windows_back) }} month as date)
{%- endmacro %}

{% macro recent_window_start(windows_back=0) -%}
    cast({{ as_of_date() }} - interval {{ var('recent_window_days') | int * (1 + windows_back) }} day as date)
{%- endmacro %}

{% macro trailing_window_days() -%}
    {{ days_between(trailing_window_start(), as_of_date()) }}
{%- endmacro %}

{#- True when `column` falls in (start, end]; end defaults to the as-of date. -#}
{% macro in_window(column, start, end=none) -%}
    ({{ column }} > {{ start }} and {{ column }} <= {{ end if end is not none else as_of_date() }})
{%- endmacro %}

{#- Divide, giving null instead of an error or a misleading 0 when the denominator is 0 or null. -#}
{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as double) / nullif(cast({{ denominator }} as double), 0))
{%- endmacro %}

{#- The mean of `value` over the rows where `condition` holds, each weighted by `weight`: null
    where no row (or no weight) counts. -#}
{% macro weighted_average(value, weight, condition) -%}
    {{ safe_divide(
        'sum(' ~ weight ~ ' * ' ~ value ~ ') filter (where ' ~ condition ~ ')',
        'sum(' ~ weight ~ ') filter (where ' ~ condition ~ ')'
    ) }}
{%- endmacro %}
