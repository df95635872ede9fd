{#
    BI tools read `marts.fct_customer_facts`, not `main_marts.fct_customer_facts`: a folder's
    custom schema is used as is instead of being prefixed with the target schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
