{#
    The lineage columns a staging model carries from its raw table, under staging's names: the
    business date of the landing folder the row came in, the file and the line within it. The
    raw tables' names (_business_date, _source_file, _source_line) are written by ingestion
    (ingestion/schema.py).
#}
{% macro landed_lineage() -%}
    _business_date as landed_date,
        _source_file as source_file,
        _source_line as source_line
{%- endmacro %}
