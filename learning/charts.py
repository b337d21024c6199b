"""Server-side SVG charts: a few rows of already-aggregated numbers in, an SVG out, so charts
need no script, keep to the strict CSP and print well. Colours come from CSS classes
(``chart-<key>``)."""

import math
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils.html import escape
from django.utils.safestring import SafeString

from core.templatetags.hindsight import duration

# Tick steps for durations, in seconds: minutes, hours, days, weeks.
_DURATION_STEPS = (
    60,
    5 * 60,
    10 * 60,
    15 * 60,
    30 * 60,
    3600,
    2 * 3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86400,
    2 * 86400,
    7 * 86400,
    14 * 86400,
    28 * 86400,
)
_TICKS = 4


@dataclass
class Series:
    """One thing drawn across the categories: a bar segment or a line. ``key`` picks the
    colour (CSS class ``chart-<key>``); ``None`` values are gaps."""

    key: str
    label: str
    values: list
    dashed: bool = False


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass
class Line:
    points: str
    css: str


@dataclass
class Dot:
    x: float
    y: float
    css: str
    title: str


@dataclass
class Label:
    x: float
    y: float
    text: str
    css: str = ""


@dataclass
class Rule:
    x1: float
    y1: float
    x2: float
    y2: float
    css: str = "chart-grid"


@dataclass
class Chart:
    width: int
    height: int
    rules: list[Rule] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    rects: list[Rect] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    dots: list[Dot] = field(default_factory=list)

    def svg(self, *, name: str, title: str, description: str) -> SafeString:
        """The chart's markup, built in one pass: a three-year chart has thousands of
        elements, too many to draw through template tags quickly. Every text is escaped."""
        ids = f"chart-{escape(name)}-title chart-{escape(name)}-desc"
        parts = [
            f'<svg class="chart" viewBox="0 0 {self.width} {self.height}" role="img" '
            f'aria-labelledby="{ids}" data-figure="{escape(name)}">\n'
            f'  <title id="chart-{escape(name)}-title">{escape(title)}</title>\n'
            f'  <desc id="chart-{escape(name)}-desc">{escape(description)}</desc>\n  ',
            *(
                f'<line x1="{r.x1}" y1="{r.y1}" x2="{r.x2}" y2="{r.y2}" class="{escape(r.css)}"/>'
                for r in self.rules
            ),
            "\n  ",
            *(
                f'<text x="{t.x}" y="{t.y}" class="{escape(t.css)}">{escape(t.text)}</text>'
                for t in self.labels
            ),
            "\n  ",
            *(
                f'<rect x="{r.x}" y="{r.y}" width="{r.width}" height="{r.height}" '
                f'class="{escape(r.css)}"><title>{escape(r.title)}</title></rect>'
                for r in self.rects
            ),
            "\n  ",
            *(
                f'<polyline points="{escape(line.points)}" class="{escape(line.css)}"/>'
                for line in self.lines
            ),
            "\n  ",
            *(
                f'<circle cx="{d.x}" cy="{d.y}" r="3" class="{escape(d.css)}">'
                f"<title>{escape(d.title)}</title></circle>"
                for d in self.dots
            ),
            "\n</svg>\n",
        ]
        return SafeString("".join(parts))


def value_text(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "duration":
        return duration(timedelta(seconds=value))
    if kind == "percent":
        return f"{value:g} %"
    return f"{value:g}"


def _axis(maximum: float, kind: str) -> tuple[float, float]:
    """The top of the value axis and its tick step, both round numbers."""
    if kind == "percent":
        return 100, 25  # shares: always the whole scale, so months compare at a glance
    wanted = maximum / _TICKS
    if kind == "duration":
        step = next((s for s in _DURATION_STEPS if s >= wanted), None)
        if step is None:
            step = _DURATION_STEPS[-1] * math.ceil(wanted / _DURATION_STEPS[-1])
    else:
        wanted = max(wanted, 1)
        magnitude = 10 ** math.floor(math.log10(wanted))
        step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= wanted)
    return step * max(1, math.ceil(maximum / step)), step


def _r(number: float) -> float:
    return round(number, 1)


class _Frame:
    """Categories along the bottom, values up the left, with gridlines and tick labels."""

    def __init__(self, chart, categories, maximum, kind, left=60, right=8, top=10, bottom=36):
        self.chart, self.kind = chart, kind
        self.left, self.right = left, chart.width - right
        self.top, self.bottom = top, chart.height - bottom
        self.band = (self.right - self.left) / max(len(categories), 1)
        self.max, step = _axis(maximum, kind)
        tick = 0
        while tick <= self.max:
            y = self.y(tick)
            chart.rules.append(Rule(self.left, y, self.right, y))
            chart.labels.append(Label(self.left - 6, y + 4, value_text(tick, kind), "chart-tick"))
            tick += step
        every = math.ceil(len(categories) / 13)
        for index, (short, long) in enumerate(categories):
            if index % every:
                continue
            x = self.center(index)
            chart.labels.append(Label(x, self.bottom + 14, short, "chart-category"))
            if long:
                chart.labels.append(Label(x, self.bottom + 27, long, "chart-category"))

    def center(self, index: int) -> float:
        return _r(self.left + self.band * (index + 0.5))

    def y(self, value: float) -> float:
        return _r(self.bottom - (self.bottom - self.top) * value / self.max)


def _maximum(series: list[Series], *, stacked: bool) -> float:
    rows = list(zip(*(s.values for s in series), strict=True)) if series else []
    if stacked:
        return max((sum(v or 0 for v in row) for row in rows), default=0)
    return max((v for s in series for v in s.values if v is not None), default=0)


def stacked_bars(categories, titles, series, *, width=520, height=260) -> Chart:
    """Bars per category, one segment per series, the first at the bottom."""
    chart = Chart(width, height)
    frame = _Frame(chart, categories, _maximum(series, stacked=True), "count")
    bar = _r(frame.band * 0.7)
    for index, title in enumerate(titles):
        base = 0
        for s in series:
            value = s.values[index] or 0
            if value:
                y = frame.y(base + value)
                chart.rects.append(
                    Rect(
                        _r(frame.center(index) - bar / 2),
                        y,
                        bar,
                        _r(frame.y(base) - y),
                        f"chart-{s.key}",
                        f"{s.label}, {title}: {value_text(value, 'count')}",
                    )
                )
            base += value
    return chart


def grouped_bars(categories, titles, series, *, width=520, height=260) -> Chart:
    """Bars side by side in each category, one per series."""
    chart = Chart(width, height)
    frame = _Frame(chart, categories, _maximum(series, stacked=False), "count")
    bar = _r(frame.band * 0.8 / max(len(series), 1))
    for index, title in enumerate(titles):
        start = frame.center(index) - bar * len(series) / 2
        for position, s in enumerate(series):
            value = s.values[index] or 0
            y = frame.y(value)
            chart.rects.append(
                Rect(
                    _r(start + position * bar),
                    y,
                    bar,
                    _r(frame.bottom - y),
                    f"chart-{s.key}",
                    f"{s.label}, {title}: {value_text(value, 'count')}",
                )
            )
    return chart


def line_chart(categories, titles, series, *, kind="count", width=520, height=260) -> Chart:
    """A line per series through the category centres, broken where a value is missing; a
    dot marks every value, so a lone month still shows."""
    chart = Chart(width, height)
    frame = _Frame(chart, categories, _maximum(series, stacked=False), kind)
    for s in series:
        css = f"chart-line chart-{s.key}" + (" chart-dashed" if s.dashed else "")
        run = []
        for index, value in enumerate([*s.values, None]):
            if value is None:
                if len(run) > 1:
                    chart.lines.append(Line(" ".join(f"{x},{y}" for x, y in run), css))
                run = []
                continue
            point = (frame.center(index), frame.y(value))
            run.append(point)
            chart.dots.append(
                Dot(
                    *point,
                    f"chart-dot chart-{s.key}",
                    f"{s.label}, {titles[index]}: {value_text(value, kind)}",
                )
            )
    return chart


def horizontal_stacked_bars(names, series, *, width=960, row_height=26) -> Chart:
    """A bar per name, longest first as given, its segments one per series, left to right."""
    left, right, top, bottom = 170, 16, 8, 24
    chart = Chart(width, top + bottom + row_height * max(len(names), 1))
    maximum, step = _axis(_maximum(series, stacked=True), "count")
    end, floor = width - right, chart.height - bottom

    def x(value):
        return _r(left + (end - left) * value / maximum)

    tick = 0
    while tick <= maximum:
        chart.rules.append(Rule(x(tick), top, x(tick), floor))
        chart.labels.append(Label(x(tick), floor + 16, value_text(tick, "count"), "chart-category"))
        tick += step
    bar = row_height * 0.7
    for index, name in enumerate(names):
        y = _r(top + row_height * index + (row_height - bar) / 2)
        chart.labels.append(Label(left - 6, _r(y + bar / 2 + 4), name, "chart-tick"))
        base = 0
        for s in series:
            value = s.values[index] or 0
            if value:
                chart.rects.append(
                    Rect(
                        x(base),
                        y,
                        _r(x(base + value) - x(base)),
                        _r(bar),
                        f"chart-{s.key}",
                        f"{name}, {s.label}: {value_text(value, 'count')}",
                    )
                )
            base += value
    return chart
