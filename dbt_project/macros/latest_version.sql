{#
    kam's version rule, written once. Ingestion keeps every version of a key it lands (a
    correction is the same key sent again in a later landing date); a model that needs one row
    per key picks the version landed last: the latest landing date, then the latest file, then
    the latest line of that file. The landing dates are those on or before the as-of date
    (staging hides later ones), so the pick is the version known that night.
#}

{% macro latest_version(key_columns) -%}
    qualify
        row_number() over (
            partition by {{ key_columns | join(', ') }}
            order by landed_date desc, source_file desc, source_line desc
        ) = 1
{%- endmacro %}
