{#
    Contact facts (联络类) and cost to serve, one row per customer in the master as of the
    as-of date.
#}

{%- set d = as_of_date() -%}
{%- set trailing_start = trailing_window_start() -%}
{%- set recent_start = recent_window_start() -%}
{%- set types = ['task', 'process', 'praise', 'complaint', 'suggestion'] -%}

with

customers as (

    select * from {{ ref('int_customer_snapshots_deduplicated') }}

),

interactions as (

    select * from {{ ref('int_interactions_deduplicated') }}

),

customer_ids as (

    select distinct customer_id from customers

),

interactions_as_of_date as (

    select
        *,
        -- Unit cost per channel comes from the `cost_per_interaction` var; a channel without a
        -- configured cost costs nothing rather than failing the run. Money like every amount:
        -- a decimal whatever the var's numbers look like (whole costs would otherwise sum to
        -- HUGEINT, which Parquet cannot hold and BI tools read as a float).
        cast(
            case channel
                {%- for channel, cost in var('cost_per_interaction').items() %}
                when '{{ channel }}' then {{ cost }}
                {%- endfor %}
                else 0
            end as decimal(18, 4)
        ) as interaction_cost,
        -- Judged from what was known on the as-of date: a complaint resolved later was still open.
        interaction_type = 'complaint'
        and (status = 'open' or resolved_date > {{ d }}) as is_open_complaint
    from interactions
    where occurred_date <= {{ d }}

),

interaction_counts as (

    select
        customer_id,
        count(*) as interaction_count_lifetime,
        count(*) filter (where {{ in_window('occurred_date', trailing_start) }}) as interaction_count_trailing,
        count(*) filter (where {{ in_window('occurred_date', recent_start) }}) as interaction_count_recent,
        count(*) filter (
            where {{ in_window('occurred_date', recent_window_start(windows_back=1), recent_start) }}
        ) as interaction_count_prior_recent,
        {%- for type in types %}
        count(*) filter (where interaction_type = '{{ type }}') as {{ type }}_count_lifetime,
        count(*) filter (
            where interaction_type = '{{ type }}' and {{ in_window('occurred_date', trailing_start) }}
        ) as {{ type }}_count_trailing,
        {%- endfor %}
        count(*) filter (where is_open_complaint) as open_complaint_count,
        max(occurred_date) as last_contact_date,
        -- Seed 000: 公司应有两个以上的人员与之联系 (two or more people in contact).
        count(distinct employee) filter (
            where {{ in_window('occurred_date', trailing_start) }}
        ) as contact_employee_count_trailing,
        sum(interaction_cost) filter (
            where {{ in_window('occurred_date', trailing_start) }}
        ) as cost_to_serve_trailing
    from interactions_as_of_date
    group by customer_id

),

joined as (

    select
        customer_ids.customer_id,
        coalesce(interaction_counts.interaction_count_lifetime, 0) as interaction_count_lifetime,
        coalesce(interaction_counts.interaction_count_trailing, 0) as interaction_count_trailing,
        coalesce(interaction_counts.interaction_count_recent, 0) as interaction_count_recent,
        coalesce(interaction_counts.interaction_count_prior_recent, 0) as interaction_count_prior_recent,
        {%- for type in types %}
        coalesce(interaction_counts.{{ type }}_count_lifetime, 0) as {{ type }}_count_lifetime,
        coalesce(interaction_counts.{{ type }}_count_trailing, 0) as {{ type }}_count_trailing,
        {%- endfor %}
        coalesce(interaction_counts.open_complaint_count, 0) as open_complaint_count,
        interaction_counts.last_contact_date,
        coalesce(interaction_counts.contact_employee_count_trailing, 0) as contact_employee_count_trailing,
        coalesce(interaction_counts.cost_to_serve_trailing, 0) as cost_to_serve_trailing
    from customer_ids
    left join interaction_counts on customer_ids.customer_id = interaction_counts.customer_id

),

final as (

    select
        *,
        {%- for type in ['praise', 'complaint', 'suggestion'] %}
        {%- for window in ['lifetime', 'trailing'] %}
        {{ safe_divide(type ~ '_count_' ~ window, 'interaction_count_' ~ window) }} as {{ type }}_share_{{ window }},
        {%- endfor %}
        {%- endfor %}
        {{ days_between('last_contact_date', d) }} as days_since_last_contact
    from joined

)

select * from final
