"""Server-drawn SVG bar charts. Each chart draws one numeric column of a ``Table``; the page
shows the same numbers in the table under it, which is what screen readers read (the chart is
an image with a title saying so)."""

from __future__ import annotations

from markupsafe import Markup, escape

from .selectors.common import Table

ROW_HEIGHT = 22
LABEL_WIDTH = 190
BAR_WIDTH = 420
VALUE_WIDTH = 70


def bar_chart(table: Table) -> Markup:
    """Horizontal bars, one a row, for the table's ``chart`` column; empty when nothing to draw."""
    if table.chart is None:
        return Markup("")
    values = [
        (str(row[0]), row[table.chart])
        for row in table.rows
        if isinstance(row[table.chart], int | float)
    ]
    if not values:
        return Markup("")
    largest = max(abs(float(value)) for _, value in values) or 1.0  # type: ignore[arg-type]
    has_negative = any(float(value) < 0 for _, value in values)  # type: ignore[arg-type]
    zero = LABEL_WIDTH + (BAR_WIDTH // 2 if has_negative else 0)
    scale = (BAR_WIDTH // 2 if has_negative else BAR_WIDTH) / largest
    height = ROW_HEIGHT * len(values) + 8
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    title_id = f"chart-{table.key}-title"
    desc_id = f"chart-{table.key}-desc"
    column = table.columns[table.chart]
    highest = max(values, key=lambda item: float(item[1]))  # type: ignore[arg-type]
    lowest = min(values, key=lambda item: float(item[1]))  # type: ignore[arg-type]
    parts = [
        f'<svg class="civicdesk-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-labelledby="{title_id}" aria-describedby="{desc_id}" '
        f'viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" '
        'font-family="arial, sans-serif" font-size="14" fill="#0b0c0c">',
        f'<title id="{title_id}">{escape(table.title)}: {escape(column)}, as a bar chart. '
        f"The table below gives the same numbers.</title>",
        f'<desc id="{desc_id}">{len(values)} bar{"" if len(values) == 1 else "s"}. '
        f"Highest: {escape(highest[0])}, "
        f"{escape(_number(highest[1]))}. Lowest: {escape(lowest[0])}, "
        f"{escape(_number(lowest[1]))}.</desc>",
    ]
    for index, (label, value) in enumerate(values):
        y = 4 + index * ROW_HEIGHT
        length = abs(float(value)) * scale  # type: ignore[arg-type]
        x = zero - length if float(value) < 0 else zero  # type: ignore[arg-type]
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" '
            f'class="civicdesk-chart__label">{escape(label[:28])}</text>'
            f'<rect x="{x:.1f}" y="{y + 3}" width="{max(length, 1):.1f}" height="{ROW_HEIGHT - 6}" '
            f'class="civicdesk-chart__bar" fill="#1d70b8"></rect>'
            f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{y + 15}" '
            f'class="civicdesk-chart__value">{escape(_number(value))}</text>'
        )
    if has_negative:
        parts.append(
            f'<line x1="{zero}" x2="{zero}" y1="0" y2="{height}" '
            'class="civicdesk-chart__axis" stroke="#0b0c0c"></line>'
        )
    parts.append("</svg>")
    # Every text that came from data went through escape() above.
    return Markup("".join(parts))  # noqa: S704


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
