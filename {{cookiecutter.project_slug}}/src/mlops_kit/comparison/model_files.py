"""Write where every model's comparison goes besides compare.json: the whole table as
Markdown and CSV beside it (models_compare.md, models_compare.csv), the same table in the
job summary ($GITHUB_STEP_SUMMARY, cut to stay under GitHub's 1 MiB), and an annotation for
each of the worst models that got worse beyond tolerance (GitHub shows ten a step).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.reporting import models_table
from mlops_kit.reporting.markdown import annotation

ANNOTATED = 10


def paths(folder: str | Path) -> list[Path]:
    return [Path(folder) / models_table.MARKDOWN, Path(folder) / models_table.CSV]


def write(found: dict[str, Any], folder: str | Path) -> list[Path]:
    """The two files of the whole table, in ``folder``."""
    where = paths(folder)
    common.write_text(where[0], models_table.markdown(found))
    common.write_text(where[1], models_table.csv_text(found))
    return where


def to_summary(found: dict[str, Any], where: list[Path]) -> bool:
    """Append the table to the job summary, cut to fit; False outside GitHub Actions."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    used = os.path.getsize(path) if os.path.isfile(path) else 0
    text = models_table.summary(found, models_table.SUMMARY_LIMIT - used, [str(w) for w in where])
    with open(path, "a", encoding="utf-8") as out:
        out.write(text + "\n")
    return True


def annotations(found: dict[str, Any], where: Path) -> list[str]:
    """Workflow commands for the worst models beyond tolerance: errors when they fail the
    gate, warnings when `compare.models.allow_worse` lets them pass."""
    kind = "error" if found["failed"] else "warning"
    worse = [row for row in found["models"] if row["status"] == "regressed"]
    lines = []
    for row in worse[:ANNOTATED]:
        metrics = (f"{m} {models_table.cell(row['metrics'].get(m))}" for m in row["excess"])
        lines.append(
            f"::{kind}::Model {annotation(row['model'], 80)} is worse than the baseline beyond "
            f"tolerance: {annotation(', '.join(metrics).replace('`', ''))}"
        )
    if len(worse) > ANNOTATED:
        lines.append(f"compare: {len(worse) - ANNOTATED} more models got worse; see {where}")
    return lines


def publish(found: dict[str, Any], folder: str | Path) -> None:
    """Everything above, for compare's command line."""
    where = write(found, folder)
    for line in annotations(found, where[0]):
        print(line)
    shown = " and the job summary" if to_summary(found, where) else ""
    print(f"compare: every model's comparison is in {where[0]}, {where[1]}{shown}")
