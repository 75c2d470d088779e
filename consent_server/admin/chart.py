"""Server-rendered SVG line chart of opt-in rates: no script, no external request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40


@dataclass(frozen=True)
class Series:
    category: str
    index: int
    points: list[tuple[float, float]]
    path: str
    labels: list[tuple[float, float, str]]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    series: list[Series]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    plot: tuple[int, int, int, int]


def opt_in_chart(
    stats: dict[str, Any], always_on: frozenset[str] = frozenset()
) -> Chart | None:
    """Coordinates for one line per category: opt-in rate (0-100 %) per day.

    ``always_on`` categories (required ones) are left out: a flat 100 % line says
    nothing and hides the optional category drawn under it.
    """
    days = [d for d in stats["days"] if d.get("categories")]
    if not days:
        return None
    first = date.fromisoformat(days[0]["day"])
    last = date.fromisoformat(days[-1]["day"])
    span = max((last - first).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: str) -> float:
        offset = (date.fromisoformat(day) - first).days
        return round(
            LEFT + (plot_w * offset / span if (last - first).days else plot_w / 2), 1
        )

    def y(rate: float) -> float:
        return round(TOP + plot_h * (1 - rate), 1)

    categories = sorted({c for d in days for c in d["categories"]} - always_on)
    series = []
    for index, cat in enumerate(categories):
        points = []
        labels = []
        for d in days:
            rate = d["categories"].get(cat, {}).get("opt_in_rate")
            if rate is None:
                continue
            points.append((x(d["day"]), y(rate)))
            labels.append((x(d["day"]), y(rate), f"{d['day']}: {rate * 100:.0f} %"))
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{px},{py}" for i, (px, py) in enumerate(points)
        )
        series.append(Series(cat, index % 6, points, path, labels))
    y_ticks = [(y(v / 100), f"{v} %") for v in (0, 25, 50, 75, 100)]
    step = max(1, len(days) // 6)
    x_ticks = [(x(d["day"]), d["day"][5:]) for d in days[::step]]
    return Chart(WIDTH, HEIGHT, series, y_ticks, x_ticks, (LEFT, TOP, plot_w, plot_h))
