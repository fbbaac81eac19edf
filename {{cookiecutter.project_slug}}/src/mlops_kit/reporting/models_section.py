"""The report's parts for a project of many models, from compare.json's `models`: how many
models got better, worse or stayed, the worst regressions, the models new, removed and
skipped, the parameters that changed for every model and the overrides that changed for
some, and the verdict naming the models that fail the gate.

Bounded whatever the number of models (a comment holds 65,536 characters): WORST
regressions, LISTED names a list and ROWS parameter changes, each saying how many more;
the whole table is in the job summary and the artifacts (models_table.py). Names are code
spans (markdown.py). Standard library only, like report.py.
"""

from __future__ import annotations

from typing import Any

from mlops_kit.github.client import SHA
from mlops_kit.reporting.markdown import code, plain
from mlops_kit.reporting.models_table import CSV, LABELS, MARKDOWN, header, line
from mlops_kit.reporting.tables import fmt


def how_many(count: int) -> str:
    return f"{count} model" + ("" if count == 1 else "s")


def are_worse(count: int) -> str:
    return f"{how_many(count)} {'is' if count == 1 else 'are'} worse"


WORST = 20  # regressions listed, worst first
LISTED = 10  # names in a list of new, removed or skipped models, or of an override's models
ROWS = 20  # parameter changes of each kind
WIDTH = 60  # characters of a name
NAMED = 3  # names in the verdict


def found_in(compare: dict | None) -> dict[str, Any] | None:
    found = (compare or {}).get("models")
    return found if isinstance(found, dict) else None


def named(names: list[str], most: int = LISTED, width: int = WIDTH) -> str:
    """Up to ``most`` names as code spans, then how many more."""
    shown = ", ".join(code(name, width) for name in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def verdict(compare: dict | None) -> str | None:
    """The report's verdict when too many models got worse: how many, the worst by name."""
    found = found_in(compare)
    if not found or not found.get("failed"):
        return None
    worse = found.get("regressed") or []
    both = "regression, and " if compare.get("regressions") else ""
    return f"❌ {both}{how_many(len(worse))} worse beyond tolerance: {named(worse, NAMED, 40)}"


def _short(sha: Any) -> str:
    sha = str(sha or "")
    return code(sha[:7] if SHA.fullmatch(sha) else sha)


def _gate(found: dict[str, Any], at: str) -> str:
    worse, allow = found.get("regressed") or [], found.get("allow_worse", 0)
    rule = f"`compare.models.allow_worse` at {at} is {allow}"
    if found.get("failed"):
        text = f"❌ **{are_worse(len(worse))} than the baseline beyond tolerance**; {rule}"
    elif worse:
        text = f"⚠️ {are_worse(len(worse))} than the baseline beyond tolerance; {rule}"
    else:
        text = "✅ No model is worse than the baseline beyond tolerance."
    proposed = found.get("proposed_allow_worse")
    if proposed is not None:
        text += f" This change sets it to {fmt(proposed)}, which applies once it is merged."
    return text + (":" if worse else "")


def _lists(found: dict[str, Any]) -> list[str]:
    rows = found.get("models") or []
    parts = []
    for status in ("within", "improved", "new", "removed"):
        names = [r["model"] for r in rows if r["status"] == status]
        if names:
            parts.append(f"**{LABELS[status].capitalize()}** ({len(names)}): {named(names)}.")
    gone = [r["model"] for r in rows if r["status"] == "removed" and r.get("skipped")]
    if gone:
        parts[-1] += f" Now skipped: {named(gone)}."
    skipped = found.get("skipped") or []
    if skipped:
        shown = [f"{code(s['model'], WIDTH)} ({plain(s.get('reason'), 100)})" for s in skipped]
        more = f" and {len(shown) - LISTED} more" if len(shown) > LISTED else ""
        parts.append(f"**Skipped** ({len(shown)}): {', '.join(shown[:LISTED])}{more}.")
    return parts


def section(compare: dict | None) -> str | None:
    """The "Models" section; None for a project of one model."""
    found = found_in(compare)
    if found is None:
        return None
    counts = found.get("counts") or {}
    changed = sum(counts.get(s, 0) for s in ("regressed", "within", "improved"))
    total = changed + sum(counts.get(s, 0) for s in ("new", "removed", "unchanged"))
    at = _short(compare.get("baseline"))
    if found.get("baseline_found"):
        intro = (
            f"{total} models against the baseline's ({at}): {changed} changed, each judged "
            "with the baseline's `compare.metrics` as the aggregate is."
        )
    else:
        intro = f"{plain(found.get('note', ''))}."
    keys = list(LABELS)
    lines = [f"### Models\n\n{intro}\n"]
    lines += ["| " + " | ".join(LABELS[k] for k in keys) + " |", "|" + " ---: |" * len(keys)]
    lines += ["| " + " | ".join(str(counts.get(k, 0)) for k in keys) + " |", ""]
    if found.get("baseline_found"):
        lines.append(_gate(found, at))
    worse = [r for r in found.get("models") or [] if r["status"] == "regressed"]
    if worse:
        metrics = found.get("metrics") or []
        lines += ["", *header(metrics, "model (worst first)")]
        lines += [line(row, metrics, WIDTH) for row in worse[:WORST]]
        if len(worse) > WORST:
            lines.append(f"\n…and {len(worse) - WORST} more.")
    files = found.get("tables") or [f"reports/{MARKDOWN}", f"reports/{CSV}"]
    where = " and ".join(code(f, 100) for f in files)
    for part in _lists(found):
        lines += ["", part]
    lines += ["", f"Every model is in {where} (in the run's artifacts) and in its job summary."]
    return "\n".join(lines)


def _overrides(rows: list[dict[str, Any]], at: str) -> list[str]:
    if not rows:
        return [f"No override (`train.overrides`) changed since {at}."]
    lines = [
        f"Overrides (`train.overrides`) changed since {at}, each for the models named:\n",
        "| override | baseline | new | models |",
        "| --- | --- | --- | --- |",
    ]
    for row in rows[:ROWS]:
        models = f"{len(row['models'])}: {named(row['models'])}"
        lines.append(f"| {code(row['key'])} | {fmt(row['old'])} | {fmt(row['new'])} | {models} |")
    if len(rows) > ROWS:
        lines.append(f"\n…and {len(rows) - ROWS} more changes.")
    return lines


def params_section(compare: dict, stopped: str | None = None) -> str | None:
    """The parameters section for many models; None for one model (tables.py's then)."""
    found = found_in(compare)
    if found is None or stopped or not compare.get("params_compared", True):
        return None
    at = _short(compare.get("params_against") or compare.get("baseline"))
    every = [r for r in compare.get("params") or [] if not r["key"].startswith("train.overrides.")]
    lines = ["### Parameters\n"]
    if every:
        lines += [f"Changed since {at}, for every model:\n", "| parameter | baseline | new |"]
        lines.append("| --- | --- | --- |")
        lines += [f"| {code(r['key'])} | {fmt(r['old'])} | {fmt(r['new'])} |" for r in every[:ROWS]]
        lines += [f"\n…and {len(every) - ROWS} more changes."] if len(every) > ROWS else []
    else:
        lines.append(f"No parameter changed for every model since {at}.")
    lines += ["", *_overrides((found.get("params") or {}).get("overrides") or [], at)]
    return "\n".join(lines)
