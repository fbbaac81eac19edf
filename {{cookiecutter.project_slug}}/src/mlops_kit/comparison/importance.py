"""The explanations section of the pipeline report: the groups of correlated features that
matter most, how the importance ranking moved against the baseline, and partial dependence.

    python -m mlops_kit.comparison.importance --baseline reports/baseline.json \\
        --explain reports/explain.json --out reports/explain-compare.json

pairs this run's reports/explain.json with the one committed at the baseline's commit (read
with git, in the job that has the history), for report.py to render where there is none.
Standard library only: the comment job renders the report without installing the project.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from mlops_kit.reporting.markdown import code, plain
from mlops_kit.reporting.mermaid import label, num, xychart

EXPLAIN = "reports/explain.json"
TOP_GROUPS = 5
TOP_FEATURES = 10


def _read(path: str | Path) -> dict | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def at_commit(sha: str | None, path: str = EXPLAIN) -> tuple[dict | None, str | None]:
    """(the explanation committed at ``sha``, None) or (None, why there is none)."""
    if not sha:
        return None, "no baseline commit"
    shown = subprocess.run(
        ["git", "show", f"{sha}:{path}"], capture_output=True, text=True, check=False
    )
    if shown.returncode != 0:
        return None, f"{path} is not committed at {sha[:7]}"
    try:
        data = json.loads(shown.stdout)
    except ValueError:
        return None, f"{path} at {sha[:7]} is not valid JSON"
    return (data, None) if isinstance(data, dict) else (None, f"{path} at {sha[:7]} is no object")


def pair(explain: dict | None, baseline: dict | None, path: str = EXPLAIN) -> dict:
    """{new, baseline, sha, reason}: this run's explanation and the baseline's, or why not."""
    sha = (baseline or {}).get("sha")
    old, reason = at_commit(sha, path) if baseline else (None, "no baseline was found")
    return {"new": explain, "baseline": old, "sha": sha, "reason": reason}


def _ranks(rows: list, key: str) -> dict[str, int]:
    return {str(row.get(key)): i for i, row in enumerate(rows or []) if isinstance(row, dict)}


def _move(new: int, old: int | None) -> str:
    if old is None:
        return "new"
    if old == new:
        return "="
    return f"↑{old - new}" if old > new else f"↓{new - old}"


def _group_rank(members: list, old_groups: list) -> int | None:
    """The baseline rank of the group sharing the most members with ``members``."""
    best, rank = 0, None
    for i, group in enumerate(old_groups or []):
        shared = len(set(map(str, members)) & set(map(str, group.get("members") or [])))
        if shared > best:
            best, rank = shared, i
    return rank


def _number(value) -> str:
    return f"{value:.3g}" if isinstance(value, int | float) else "—"


def groups_table(new: dict, old: dict | None) -> str:
    lines = ["| rank | group | members | importance | ± | baseline rank |"]
    lines.append("| ---: | --- | --- | ---: | ---: | --- |")
    for i, group in enumerate((new.get("groups") or [])[:TOP_GROUPS]):
        members = [str(m) for m in group.get("members") or []]
        shown = ", ".join(code(m, 40) for m in members[:6])
        shown += f" and {len(members) - 6} more" if len(members) > 6 else ""
        if old is None:
            moved = "—"
        else:
            was = _group_rank(members, old.get("groups"))
            moved = "new" if was is None else f"{was + 1} ({_move(i, was)})"
        cells = [str(i + 1), code(group.get("group"), 50), shown]
        cells += [_number(group.get("importance")), _number(group.get("std")), moved]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def features_table(new: dict, old: dict | None) -> str:
    before = _ranks(old.get("features"), "feature") if old else {}
    lines = ["| rank | feature | importance | ± | moved |", "| ---: | --- | ---: | ---: | --- |"]
    for i, row in enumerate((new.get("features") or [])[:TOP_FEATURES]):
        moved = _move(i, before.get(str(row.get("feature")))) if old else "—"
        cells = [str(i + 1), code(row.get("feature"), 50), _number(row.get("importance"))]
        lines.append("| " + " | ".join([*cells, _number(row.get("std")), moved]) + " |")
    return "\n".join(lines)


def dependence_charts(new: dict) -> list[str]:
    """One Mermaid chart per feature, one line per class."""
    curves: dict[str, list[dict]] = {}
    for curve in new.get("partial_dependence") or []:
        curves.setdefault(str(curve.get("feature")), []).append(curve)
    charts = []
    for feature, lines in curves.items():
        grid = lines[0].get("grid") or []
        series = [("line", c.get("average") or []) for c in lines]
        if not grid or any(len(values) != len(grid) for _, values in series):
            continue
        bands = "[" + ", ".join(label(num(x), 10) for x in grid) + "]"
        chart = xychart(f"Partial dependence on {feature}", bands, '"Average output"', *series)
        classes = [c.get("class") for c in lines]
        said = "the prediction" if classes == [None] else "the probability of class "
        said += ", ".join(code(c) for c in classes if c is not None)
        lines_are = "Lines" if len(lines) > 1 else "Line"
        charts.append(f"{chart}\n\n{lines_are}: {said}, by {code(feature)}.")
    return charts


def section(data: dict | None) -> str | None:
    """The report's explanations section; None when this run wrote no explanation."""
    new = (data or {}).get("new")
    if not isinstance(new, dict):
        return None
    old = data.get("baseline") if isinstance(data.get("baseline"), dict) else None
    if old is not None:
        sha = code((data.get("sha") or "")[:7])
        against = f"Ranks against the baseline's explanation at {sha}."
    else:
        against = f"No baseline explanation: {plain(data.get('reason') or 'none was found')}."
    parts = [
        "### Explanations",
        "Permutation importance on the test split: the score lost when columns are shuffled. "
        "Correlated features are shuffled together as a group; alone, each seems to matter "
        f"little, as the others still carry what it knows. {against}",
        groups_table(new, old),
        "Single features, each shuffled alone:",
        features_table(new, old),
    ]
    charts = dependence_charts(new)
    if charts:
        parts += ["#### Partial dependence (test split)", *charts]
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", required=True, help="baseline.py's output")
    parser.add_argument("--explain", default=EXPLAIN)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    found = pair(_read(args.explain), _read(args.baseline), args.explain)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(found, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    where = f"baseline at {found['sha'][:7]}" if found["baseline"] else "no baseline explanation"
    print(f"explanations: {where}; wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
