"""Plotly figures of the report: plain data in, one ``plotly.graph_objects.Figure`` out.

Every figure carries its numbers on hover; the page adds a table below each one.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

FONT = "Noto Sans CJK SC, WenQuanYi Micro Hei, PingFang SC, Microsoft YaHei, sans-serif"
# One colour per level, best level first (colour-blind safe, prints in grey distinguishably).
LEVEL_COLOURS = ("#1b4f72", "#2e86c1", "#85c1e9", "#d6eaf8", "#f5b041", "#cb4335", "#7b241c")
# Most points drawn on the Pareto curve; more customers are thinned evenly (boundaries kept).
PARETO_MAX_POINTS = 1000


def _hover(*lines: str, trace: str = "") -> str:
    """A plotly hover template: the ``lines`` one under another, and ``trace`` in the box beside
    them (empty: no box)."""
    return "<br>".join(lines) + f"<extra>{trace}</extra>"


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        font={"family": FONT, "size": 12},
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        paper_bgcolor="white",
        plot_bgcolor="white",
        hoverlabel={"font": {"family": FONT}},
    )
    fig.update_xaxes(gridcolor="#eeeeee", zeroline=False, automargin=True)
    fig.update_yaxes(gridcolor="#eeeeee", zeroline=False, automargin=True)
    return fig


def pyramid(levels: Sequence[str], counts: Sequence[int], revenue_shares: Sequence[float]):
    """The customer pyramid: customers per level, best level on top, with its revenue share."""
    fig = go.Figure(
        go.Funnel(
            y=list(levels),
            x=list(counts),
            customdata=[[s] for s in revenue_shares],
            text=[f"{c:,} · {s:.1%}" for c, s in zip(counts, revenue_shares, strict=True)],
            textinfo="text",
            marker={"color": list(LEVEL_COLOURS[: len(levels)])},
            hovertemplate=_hover(
                "%{y}", "客户数 customers: %{x:,}", "收入占比 revenue share: %{customdata[0]:.1%}"
            ),
        )
    )
    return _layout(
        fig, "客户金字塔 Customer pyramid<br><sub>客户数 · 收入占比 customers · revenue share</sub>"
    )


def pareto(
    customer_share: Sequence[float],
    revenue_share: Sequence[float],
    classes: Sequence[str],
    class_names: dict[str, str],
    boundaries: Sequence[tuple[str, float]],
    revenue_bounds: Sequence[float],
):
    """Cumulative revenue share against customer share (ranked best first), a line per ABC
    class; dotted lines at each class's last customer and at the revenue shares that bound
    the classes."""
    fig = go.Figure()
    start = (0.0, 0.0)
    for i, cls in enumerate(dict.fromkeys(classes)):
        # Each class's line starts where the previous one ended, so the curve is unbroken.
        xs = [start[0], *(x for x, c in zip(customer_share, classes, strict=True) if c == cls)]
        ys = [start[1], *(y for y, c in zip(revenue_share, classes, strict=True) if c == cls)]
        start = (xs[-1], ys[-1])
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                name=class_names.get(cls, cls),
                line={"color": LEVEL_COLOURS[i % len(LEVEL_COLOURS)], "width": 3},
                hovertemplate=_hover(
                    "前 top %{x:.1%} 客户 customers",
                    "累计收入 cumulative revenue %{y:.1%}",
                    trace=class_names.get(cls, cls),
                ),
            )
        )
    for cls, x in boundaries:
        fig.add_vline(
            x=x,
            line={"dash": "dot", "color": "#555"},
            annotation_text=f"{cls} {x:.1%}",
            annotation_position="bottom right",
        )
    for y in revenue_bounds:
        fig.add_hline(y=y, line={"dash": "dot", "color": "#aaa"})
    fig.update_xaxes(title="客户占比 share of customers", tickformat=".0%", range=[0, 1])
    fig.update_yaxes(title="累计收入占比 cumulative revenue", tickformat=".0%", range=[0, 1.02])
    fig.update_layout(legend={"orientation": "h", "y": -0.2})
    return _layout(
        fig, "帕累托曲线 Pareto curve<br><sub>ABC分界 with the ABC boundaries</sub>", height=400
    )


def bars(
    title: str,
    categories: Sequence[str],
    values: Sequence[float],
    value_name: str,
    *,
    extra: Sequence[str] | None = None,
    money: bool = False,
):
    """A bar per category; ``extra`` adds a line of text to each bar's hover."""
    number = "%{y:,.0f}" if money else "%{y:,}"
    fig = go.Figure(
        go.Bar(
            x=list(categories),
            y=list(values),
            text=[f"{v:,.0f}" for v in values],
            textposition="outside",
            cliponaxis=False,
            marker={"color": LEVEL_COLOURS[1]},
            customdata=[[e] for e in (extra or [""] * len(values))],
            hovertemplate=_hover("%{x}", f"{value_name}: {number}", "%{customdata[0]}"),
        )
    )
    fig.update_yaxes(title=value_name, rangemode="tozero")
    fig.update_xaxes(type="category")
    return _layout(fig, title)


def heatmap(
    title: str,
    from_levels: Sequence[str],
    to_levels: Sequence[str],
    counts: Sequence[Sequence[int]],
    *,
    height: int = 340,
):
    """Customers moving from a level (rows) to a level (columns), the count in each cell."""
    fig = go.Figure(
        go.Heatmap(
            z=[list(row) for row in counts],
            x=list(to_levels),
            y=list(from_levels),
            colorscale="Blues",
            texttemplate="%{z:,}",
            showscale=False,
            xgap=1,
            ygap=1,
            hovertemplate=_hover("从 from %{y}", "到 to %{x}", "客户数 customers: %{z:,}"),
        )
    )
    fig.update_yaxes(autorange="reversed", title="从 from", type="category")
    fig.update_xaxes(title="到 to", type="category")
    return _layout(fig, title, height=height)


def scatter(
    title: str,
    xs: Sequence[float],
    ys: Sequence[float],
    labels: Sequence[str],
    x_name: str,
    y_name: str,
):
    """One point per customer; hover names it."""
    fig = go.Figure(
        go.Scatter(
            x=list(xs),
            y=list(ys),
            mode="markers",
            text=list(labels),
            marker={"size": 9, "color": LEVEL_COLOURS[5], "opacity": 0.8},
            hovertemplate=_hover("%{text}", x_name + ": %{x:.1%}", y_name + ": %{y:,.0f}"),
        )
    )
    fig.update_xaxes(title=x_name, tickformat=".0%")
    fig.update_yaxes(title=y_name, rangemode="tozero")
    return _layout(fig, title)


def lines(
    title: str,
    dates: Sequence[str],
    series: dict[str, Sequence[float]],
    value_name: str,
    *,
    stacked: bool = False,
):
    """A line per series over the business dates (stacked areas when ``stacked``)."""
    fig = go.Figure()
    for i, (name, values) in enumerate(series.items()):
        fig.add_trace(
            go.Scatter(
                x=list(dates),
                y=list(values),
                name=name,
                mode="lines+markers",
                stackgroup="one" if stacked else None,
                line={"color": LEVEL_COLOURS[i % len(LEVEL_COLOURS)]},
                hovertemplate=_hover("%{x}", name + ": %{y:,.0f}"),
            )
        )
    fig.update_xaxes(title="业务日期 business date", type="category")
    fig.update_yaxes(title=value_name, rangemode="tozero")
    fig.update_layout(legend={"orientation": "h", "y": -0.25}, showlegend=len(series) > 1)
    return _layout(fig, title)
