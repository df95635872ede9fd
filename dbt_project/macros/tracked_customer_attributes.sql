{#
    Customer-master attributes whose changes open a new version in dim_customers_history
    (everything in the master except the key and the personal data dropped in staging).
#}
{% macro tracked_customer_attributes() -%}
    {{ return([
        'customer_name',
        'industry',
        'province',
        'city',
        'channel_type',
        'account_manager',
        'first_cooperation_date',
        'credit_limit',
        'payment_terms_days',
        'is_strategic',
        'qualitative_rating',
        'status',
        'key_person_role',
    ]) }}
{%- endmacro %}
