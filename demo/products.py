"""The demo product catalogue: categories with their own price level and gross margin."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

PRODUCTS_PER_CATEGORY = 40


@dataclass(frozen=True)
class Category:
    """One product category: typical unit price (CNY), gross margin and units per order line."""

    name: str
    code: str
    median_price: float
    margin: float
    units_per_line: float


CATEGORIES = (
    Category("electronics", "EL", 800.0, 0.15, 1.0),
    Category("office_furniture", "FU", 450.0, 0.28, 1.0),
    Category("industrial_parts", "IP", 120.0, 0.22, 3.0),
    Category("consumables", "CO", 15.0, 0.35, 25.0),
    Category("packaging", "PK", 4.0, 0.18, 100.0),
    Category("safety_equipment", "SE", 30.0, 0.30, 12.0),
    Category("maintenance_services", "MS", 1500.0, 0.55, 1.0),
)
N_CATEGORIES = len(CATEGORIES)


@dataclass(frozen=True)
class Catalogue:
    """Products as parallel arrays indexed by ``category * PRODUCTS_PER_CATEGORY + rank``."""

    product_id: pl.Series
    category: pl.Series
    price_cents: np.ndarray
    cost_cents: np.ndarray
    units_per_line: np.ndarray


def build_catalogue(rng: np.random.Generator) -> Catalogue:
    """Draw list prices and unit costs for every product."""
    n = N_CATEGORIES * PRODUCTS_PER_CATEGORY
    category_index = np.repeat(np.arange(N_CATEGORIES), PRODUCTS_PER_CATEGORY)
    median = np.array([c.median_price for c in CATEGORIES])[category_index]
    margin = np.array([c.margin for c in CATEGORIES])[category_index]
    price = median * rng.lognormal(0.0, 0.5, n)
    price_cents = np.maximum(np.round(price * 100), 100).astype(np.int64)
    product_margin = np.clip(margin + rng.normal(0.0, 0.04, n), 0.02, 0.8)
    cost_cents = np.round(price_cents * (1.0 - product_margin)).astype(np.int64)
    codes = [c.code for c in CATEGORIES]
    ids = [
        f"P-{codes[k]}-{rank + 1:03d}"
        for k in range(N_CATEGORIES)
        for rank in range(PRODUCTS_PER_CATEGORY)
    ]
    return Catalogue(
        product_id=pl.Series("product_id", ids),
        category=pl.Series("product_category", [c.name for c in CATEGORIES]).gather(category_index),
        price_cents=price_cents,
        cost_cents=cost_cents,
        units_per_line=np.array([c.units_per_line for c in CATEGORIES]),
    )
