"""How a report table's cells are written: shown text, machine value, escaping, links."""

from __future__ import annotations

from datetime import date

from report.elements import Column, Table
from report.render import table_rows


def test_cells_show_formatted_text_and_keep_the_full_value_escaped() -> None:
    table = Table(
        "t",
        [
            Column("customer_name", "Customer"),
            Column("account_manager", "Manager"),
            Column("revenue", "Revenue", "money"),
            Column("share", "Share", "share"),
            Column("since", "Since", "date"),
        ],
        [
            {
                "customer_name": 'A&B "<i>"',
                "account_manager": "王<五>",
                "anchor": "manager-1",
                "revenue": 1234567.891,
                "share": 0.1234,
                "since": date(2025, 1, 2),
            },
            {"customer_name": None, "account_manager": "赵六", "revenue": None, "share": 1},
        ],
    )
    assert str(table_rows(table)) == (
        '      <tr><td class="text" data-col="customer_name" '
        'data-value="A&amp;B &#34;&lt;i&gt;&#34;">A&amp;B &#34;&lt;i&gt;&#34;</td>'
        '<td class="text" data-col="account_manager" data-value="王&lt;五&gt;">'
        '<a href="#manager-1">王&lt;五&gt;</a></td>'
        '<td class="money" data-col="revenue" data-value="1234567.891">1,234,568</td>'
        '<td class="share" data-col="share" data-value="0.1234">12.3%</td>'
        '<td class="date" data-col="since" data-value="2025-01-02">2025-01-02</td></tr>\n'
        '      <tr><td class="text" data-col="customer_name" data-value="">—</td>'
        '<td class="text" data-col="account_manager" data-value="赵六">赵六</td>'
        '<td class="money" data-col="revenue" data-value="">—</td>'
        '<td class="share" data-col="share" data-value="1">100.0%</td>'
        '<td class="date" data-col="since" data-value="">—</td></tr>'
    )
