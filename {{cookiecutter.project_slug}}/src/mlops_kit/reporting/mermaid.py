"""Mermaid `xychart-beta` blocks, which GitHub draws inside comments and job summaries.

Mermaid's parser is strict: numbers without exponents, labels in double quotes with no
quotes, backticks or line breaks inside. These helpers write only what it accepts, and
labels (column names, from the data) carry no markup Mermaid would render: no HTML tags,
no `#name;` entity codes, no `%%` comments.
"""

from __future__ import annotations

import re

UNSAFE = str.maketrans({'"': "'", "`": "'", "<": "‹", ">": "›", "\\": "/"})


def num(value: float) -> str:
    """A number Mermaid parses: 4 significant digits, never in exponent notation."""
    text = f"{float(f'{value:.4g}'):.10f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def label(text: str, width: int = 24) -> str:
    """A quoted Mermaid label: no double quotes, backticks, line breaks or markup inside."""
    text = " ".join(str(text).translate(UNSAFE).split())
    text = re.sub("%{2,}", "%", re.sub(r"#(?=\w*;)", "＃", text))
    return '"' + (text if len(text) <= width else text[: width - 1] + "…") + '"'


def xychart(title: str, x_axis: str, y_axis: str, *series: tuple[str, list[float]]) -> str:
    """A fenced ```mermaid xychart-beta block; ``series`` are ("line" | "bar", values)."""
    lines = ["```mermaid", "xychart-beta", f"    title {label(title, 80)}"]
    lines += [f"    x-axis {x_axis}", f"    y-axis {y_axis}"]
    lines += [f"    {kind} [{', '.join(num(v) for v in values)}]" for kind, values in series]
    return "\n".join([*lines, "```"])
