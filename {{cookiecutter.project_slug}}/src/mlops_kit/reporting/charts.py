"""The evaluate stage's plot files as Mermaid charts (mermaid.py) and Markdown tables, so the
CI report shows the plots without images; curves are resampled to keep the comment small."""

from __future__ import annotations

import csv
import math
from collections import Counter
from pathlib import Path

from mlops_kit.reporting.markdown import code
from mlops_kit.reporting.mermaid import label, num, xychart

GRID = [i / 20 for i in range(21)]
CURVES = {  # file: (x column, y column, title, x-axis title, y-axis title)
    "roc": ("fpr", "tpr", "ROC curve", "False positive rate", "True positive rate"),
    "precision_recall": ("recall", "precision", "Precision-recall curve", "Recall", "Precision"),
}


def read_csv(path: Path) -> list[dict[str, str]] | None:
    """Rows of a CSV file, or None when it is missing."""
    if not path.is_file():
        return None
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def floats(rows: list[dict[str, str]], *columns: str) -> list[tuple[float, ...]]:
    """The given columns as numbers, skipping rows with a gap or a non-number."""
    found = []
    for row in rows:
        try:
            values = tuple(float(row[c]) for c in columns)
        except (KeyError, TypeError, ValueError):
            continue
        if all(math.isfinite(v) for v in values):
            found.append(values)
    return found


def resample(points: list[tuple[float, float]], grid: list[float], envelope: bool) -> list[float]:
    """y at each grid x: linear interpolation (the upper value at a jump), or with ``envelope``
    the highest y at any x >= grid x (interpolated precision of a precision-recall curve)."""
    points = sorted(points)
    values = []
    for x in grid:
        if envelope:
            values.append(max((p[1] for p in points if p[0] >= x - 1e-12), default=0.0))
            continue
        left = [p for p in points if p[0] <= x + 1e-12]
        right = [p for p in points if p[0] > x + 1e-12]
        if not left or not right or abs(left[-1][0] - x) <= 1e-12:
            values.append(left[-1][1] if left else right[0][1])
        else:
            (x0, y0), (x1, y1) = left[-1], right[0]
            values.append(y0 + (y1 - y0) * (x - x0) / (x1 - x0))
    return values


def curve(folder: Path, name: str) -> str | None:
    x, y, title, x_title, y_title = CURVES[name]
    points = floats(read_csv(folder / f"{name}.csv") or [], x, y)
    if not points:
        return None
    values = resample(points, GRID, envelope=name == "precision_recall")
    x_axis, y_axis = f"{label(x_title)} 0 --> 1", f"{label(y_title)} 0 --> 1"
    return f"#### {title}\n\n{xychart(title, x_axis, y_axis, ('line', values))}"


def confusion(folder: Path) -> str | None:
    rows = read_csv(folder / "confusion.csv")
    if not rows or "actual" not in rows[0] or "predicted" not in rows[0]:
        return None
    counts = Counter((row["actual"], row["predicted"]) for row in rows)
    classes = sorted({c for pair in counts for c in pair}, key=_sort_key)
    if len(classes) > 20:
        return f"#### Confusion matrix\n\n{len(classes)} classes: too many to show here."
    lines = ["| actual \\ predicted | " + " | ".join(map(_cell, classes)) + " |"]
    lines.append("| --- |" + " ---: |" * len(classes))
    for actual in classes:
        counts_row = [counts[(actual, p)] for p in classes]
        shown = [
            f"**{n}**" if p == actual else str(n) for p, n in zip(classes, counts_row, strict=True)
        ]
        lines.append(f"| **{_cell(actual)}** | " + " | ".join(shown) + " |")
    return "#### Confusion matrix (test split, counts)\n\n" + "\n".join(lines)


def _cell(text: str) -> str:
    return code(text, 30)


def _sort_key(value: str) -> tuple:
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def importance(folder: Path, top: int = 10) -> str | None:
    rows = read_csv(folder / "feature_importance.csv") or []
    pairs = [(row.get("feature", ""), v[0]) for row in rows for v in floats([row], "importance")]
    pairs = sorted(pairs, key=lambda pair: -pair[1])[:top]
    if not pairs:
        return None
    values = [value for _, value in pairs]
    low, high = min(0.0, *values), max(0.0, *values)
    high = high if high > low else low + 1.0
    bands = "[" + ", ".join(label(name, 20) for name, _ in pairs) + "]"
    y_axis = f'"Mean score drop" {num(low)} --> {num(high * 1.05)}'
    chart = xychart(f"Permutation importance, top {len(pairs)}", bands, y_axis, ("bar", values))
    return f"#### Feature importance\n\n{chart}"


def predictions(folder: Path, count: int = 30) -> str | None:
    points = sorted(floats(read_csv(folder / "predictions.csv") or [], "actual", "predicted"))
    if not points:
        return None
    step = max(1, math.ceil(len(points) / count))
    kept = points[::step]
    x_axis = f'"Test rows, sorted by actual value" 1 --> {len(kept)}'
    series = ("line", [a for a, _ in kept]), ("line", [p for _, p in kept])
    chart = xychart("Predicted vs actual", x_axis, '"Target"', *series)
    return f"#### Predicted vs actual\n\n{chart}\n\nFirst line: actual values; second: predictions."


def residuals(folder: Path, bins: int = 10) -> str | None:
    values = [v for (v,) in floats(read_csv(folder / "residuals.csv") or [], "residual")]
    if not values:
        return None
    low, high = min(values), max(values)
    width = (high - low) / bins or 1.0
    counts = Counter(min(int((v - low) / width), bins - 1) for v in values)
    centres = "[" + ", ".join(label(num(low + (i + 0.5) * width)) for i in range(bins)) + "]"
    bars = ("bar", [counts[i] for i in range(bins)])
    chart = xychart("Residuals (actual - predicted)", centres, '"Rows"', bars)
    return f"#### Residuals\n\n{chart}"


def sections(folder: str | Path) -> list[str]:
    """Every chart or table the plot files in ``folder`` allow, in reading order."""
    folder = Path(folder)
    built = [
        curve(folder, "roc"),
        curve(folder, "precision_recall"),
        confusion(folder),
        predictions(folder),
        residuals(folder),
        importance(folder),
    ]
    return [section for section in built if section]
