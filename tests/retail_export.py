"""A retail invoice export with the shape of a real online retailer's history (issue 23): invoice
no, stock code, description, quantity, invoice date, unit price, customer id, country; no line
number, cost or category; customer ids as floats, some empty; cancellations as 'C'-prefixed
invoices with negative quantities; exact duplicate lines. Every planted group is small enough to
count by hand; the expected numbers below were worked out by hand from these lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import polars as pl

HEADER = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)

# (invoice, stock code, description, quantity, date, unit price, customer id)
LINES: list[tuple[str, str, str, int, str, str, float | None]] = [
    ("536365", "85123A", "WHITE HANGING HEART T-LIGHT", 6, "2025-03-01 08:26", "2.55", 17850.0),
    ("536365", "71053", "WHITE METAL LANTERN", 6, "2025-03-01 08:26", "3.39", 17850.0),
    # Exported twice: an exact duplicate of an earlier line of the same order.
    ("536365", "71053", "WHITE METAL LANTERN", 6, "2025-03-01 08:26", "3.39", 17850.0),
    ("536365", "84406B", "CUPID HEARTS COAT HANGER", 8, "2025-03-01 08:26", "2.75", 17850.0),
    ("536366", "22633", "HAND WARMER UNION JACK", 6, "2025-03-01 08:28", "1.85", 17850.0),
    ("536366", "22632", "HAND WARMER RED POLKA DOT", 6, "2025-03-01 08:28", "1.85", 17850.0),
    ("536367", "84879", "COLOUR BIRD ORNAMENT", 32, "2025-04-02 08:34", "1.69", 13047.0),
    ("536367", "22745", "POPPY'S PLAYHOUSE BEDROOM", 6, "2025-04-02 08:34", "2.10", 13047.0),
    ("536367", "22748", "POPPY'S PLAYHOUSE KITCHEN", 6, "2025-04-02 08:34", "2.10", 13047.0),
    # Exported twice: an exact duplicate of an earlier line of the same order.
    ("536367", "22745", "POPPY'S PLAYHOUSE BEDROOM", 6, "2025-04-02 08:34", "2.10", 13047.0),
    ("536368", "22960", "JAM MAKING SET WITH JARS", 6, "2025-05-03 08:34", "4.25", 12583.0),
    ("536368", "22913", "RED COAT RACK PARIS FASHION", 3, "2025-05-03 08:34", "4.95", 12583.0),
    # The same content as a line of 536366, in another order: not a duplicate.
    ("536368", "22632", "HAND WARMER RED POLKA DOT", 6, "2025-05-03 08:34", "1.85", 12583.0),
    ("536369", "21756", "BATH BUILDING BLOCK WORD", 3, "2025-05-20 08:35", "5.95", 14688.0),
    ("C536379", "21756", "BATH BUILDING BLOCK WORD", -1, "2025-06-01 09:41", "5.95", 14688.0),
    ("C536383", "22633", "HAND WARMER UNION JACK", -2, "2025-06-02 09:49", "1.85", 17850.0),
    # No customer id (guest checkouts): quarantined, customer_id is required.
    ("536370", "22728", "ALARM CLOCK BAKELIKE PINK", 24, "2025-06-03 08:45", "3.75", None),
    ("536370", "22727", "ALARM CLOCK BAKELIKE RED", 24, "2025-06-03 08:45", "3.75", None),
    # A customer id with a fraction is no id: quarantined.
    ("536371", "22086", "PAPER CHAIN KIT", 80, "2025-06-04 09:00", "2.55", 12583.5),
]

BUSINESS_DATE = "2025-06-30"
COUNTRY = "United Kingdom"
ROWS_READ = 19
DUPLICATES = 2  # the two lines exported twice
EMPTY_CUSTOMER = 2  # invoice 536370
FRACTIONAL_CUSTOMER = 1  # invoice 536371
ROWS_LOADED = ROWS_READ - DUPLICATES - EMPTY_CUSTOMER - FRACTIONAL_CUSTOMER
# Revenue by customer, quantity × unit price summed by hand over the loaded lines:
# 17850: 15.30 + 20.34 + 22.00 + 11.10 + 11.10 − 3.70; 13047: 54.08 + 12.60 + 12.60;
# 12583: 25.50 + 14.85 + 11.10; 14688: 17.85 − 5.95.
REVENUE = {
    "17850": Decimal("76.14"),
    "13047": Decimal("79.28"),
    "12583": Decimal("51.45"),
    "14688": Decimal("11.90"),
}
# Product ids sold (not returned), standing in for categories.
CATEGORIES_SOLD = {"17850": 5, "13047": 3, "12583": 3, "14688": 1}

# The mapping a user writes for it: only renames (Description and Country are left unmapped).
MAPPING_COLUMNS = {
    "order_id": "InvoiceNo",
    "product_id": "StockCode",
    "quantity": "Quantity",
    "ordered_at": "InvoiceDate",
    "unit_price": "UnitPrice",
    "customer_id": "CustomerID",
}


def frame() -> pl.DataFrame:
    """The export as the retailer's Parquet file has it: CustomerID a DOUBLE with nulls."""
    return pl.DataFrame(
        {
            "InvoiceNo": [line[0] for line in LINES],
            "StockCode": [line[1] for line in LINES],
            "Description": [line[2] for line in LINES],
            "Quantity": [line[3] for line in LINES],
            "InvoiceDate": [datetime.fromisoformat(line[4]) for line in LINES],
            "UnitPrice": [float(line[5]) for line in LINES],
            "CustomerID": [line[6] for line in LINES],
            "Country": [COUNTRY] * len(LINES),
        },
        schema={
            "InvoiceNo": pl.String,
            "StockCode": pl.String,
            "Description": pl.String,
            "Quantity": pl.Int64,
            "InvoiceDate": pl.Datetime("us"),
            "UnitPrice": pl.Float64,
            "CustomerID": pl.Float64,
            "Country": pl.String,
        },
    )


def write_parquet(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame().write_parquet(path)
    return path


def write_xlsx(path: Path) -> Path:
    """The same export as an Excel workbook (numbers and dates as typed cells)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame().write_excel(path, worksheet="Online Retail")
    return path


def write_aligned_text(path: Path) -> Path:
    """The same export as whitespace-aligned text, as CDNOW's history comes: columns padded
    with spaces, no quoting; so the free-text columns (Description, Country) are left out, the
    timestamp is written without a space, an empty id as NA, and ids as text (without the
    fractional id, which text cannot tell from an id)."""
    columns = ("InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID")
    rows = [
        (
            invoice,
            stock,
            str(quantity),
            at.replace(" ", "T") + ":00",
            price,
            "NA" if customer is None else f"{customer:.0f}",
        )
        for invoice, stock, _, quantity, at, price, customer in LINES
        # As text, '12583.5' is a valid id: only a number column can be told to hold a fraction.
        if customer is None or customer == int(customer)
    ]
    widths = [max(len(r[i]) for r in [columns, *rows]) + 2 for i in range(len(columns))]
    text = "\n".join(
        "".join(value.rjust(width) for value, width in zip(row, widths, strict=True))
        for row in [columns, *rows]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def mapping_yaml(fmt: str = "parquet", **settings: str) -> str:
    """A transactions mapping that only renames the export's columns."""
    lines = [f"format: {fmt}"]
    lines += [f"{key}: '{value}'" for key, value in settings.items()]
    lines.append("columns:")
    lines += [f"  {canonical}: {export}" for canonical, export in MAPPING_COLUMNS.items()]
    return "\n".join(lines) + "\n"
