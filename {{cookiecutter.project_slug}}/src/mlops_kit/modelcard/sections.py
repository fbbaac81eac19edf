"""The model card's sections on metrics, slices, explanations and approvals, as Markdown.

Every name and value comes from files the pipeline wrote or from GitHub, so each goes
through markdown.code (a code span) or markdown.plain (escaped words).
"""

from __future__ import annotations

from typing import Any

from mlops_kit.reporting.markdown import code, plain

NOT_COMPUTED = "not computed"
MAX_FEATURES = 20


def number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return code(value, 30)
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _dict(found: Any) -> dict[str, Any]:
    return found if isinstance(found, dict) else {}


def _list(found: Any) -> list[Any]:
    return found if isinstance(found, list) else []


def level(found: dict[str, Any] | None) -> str:
    """The intervals' confidence level, as a percentage."""
    value = (found or {}).get("confidence", 0.95)
    return f"{value:.0%}" if isinstance(value, float | int) else code(value, 20)


def interval(found: dict[str, Any] | None) -> str:
    if not isinstance(found, dict) or found.get("low") is None or found.get("high") is None:
        return NOT_COMPUTED
    return f"[{number(found['low'])}, {number(found['high'])}]"


def most(slices: dict[str, Any]) -> str:
    rows = slices.get("max_rows")
    if not isinstance(rows, int) or isinstance(rows, bool):
        return ""
    return f", each of at most {number(rows)} rows (rescaled to the split's size above that)"


def metrics(rows: list[dict[str, Any]], slices: dict[str, Any] | None) -> list[str]:
    note = (
        f"Intervals: {level(slices)} bootstrap, {number(slices.get('resamples'))} resamples of the "
        f"test split{most(slices)} (reports/slices.json)."
        if slices
        else f"Intervals: {NOT_COMPUTED} (the evaluate stage wrote no reports/slices.json)."
    )
    table = ["| metric | value | interval |", "| --- | ---: | --- |"]
    table += [f"| {code(r['name'])} | {number(r['value'])} | {interval(r)} |" for r in rows]
    return [note, "", *table]


def slices(found: dict[str, Any] | None) -> list[str]:
    if not found:
        return [f"Slices: {NOT_COMPUTED} (the evaluate stage wrote no reports/slices.json)."]
    least = found.get("min_size", "?")
    lines = [
        f"Metrics on each value of a column of the test split, {level(found)} "
        f"intervals. A slice of fewer than {number(least)} rows is shown but not judged.",
    ]
    for group in found.get("slices") or []:
        binning = f" (binned: {code(group['binning'])})" if group.get("binning") else ""
        values = group.get("values") or []
        names = sorted({str(m) for v in values for m in _dict(v.get("metrics"))})
        lines += ["", f"### {code(group.get('column'))}{binning}", ""]
        lines += ["| value | rows | " + " | ".join(code(n) for n in names) + " |"]
        lines += ["| --- | ---: |" + " --- |" * len(names)]
        for value in values:
            cells = [_cell(_dict(value.get("metrics")).get(n)) for n in names]
            small = "" if value.get("gated", True) else " (too small to judge)"
            lines.append(
                f"| {code(value.get('value'))}{small} | {number(value.get('n'))} | "
                + " | ".join(cells)
                + " |"
            )
        gaps = _dict(group.get("gaps"))
        for metric in sorted(m for m, g in gaps.items() if isinstance(g, dict)):
            gap = gaps[metric]
            pair = gap.get("between") if isinstance(gap.get("between"), list) else []
            pair = pair or ["?"]
            lines.append(
                f"\nLargest gap in {code(metric)}: {number(gap.get('value'))} {interval(gap)}, "
                f"between {code(pair[0])} and {code(pair[-1])}."
            )
    return lines


def _cell(found: dict[str, Any] | None) -> str:
    if not isinstance(found, dict):
        return "—"
    return f"{number(found.get('value'))} {interval(found)}"


def explanations(found: dict[str, Any] | None) -> list[str]:
    if not found:
        return [f"Explanations: {NOT_COMPUTED} (the evaluate stage wrote no reports/explain.json)."]
    features = found.get("features") or []
    lines = [
        "Permutation importance on the test split: how much the score drops when a "
        "column is shuffled (mean ± standard deviation over repeats).",
        "",
    ]
    lines += ["| feature | importance |", "| --- | ---: |"]
    for item in features[:MAX_FEATURES]:
        lines.append(f"| {code(item.get('feature'))} | {_spread(item)} |")
    if len(features) > MAX_FEATURES:
        lines.append(f"\n{len(features) - MAX_FEATURES} more in model_card.json.")
    if found.get("groups"):
        lines += ["", "Correlated columns shuffled together, so they do not share the credit:", ""]
        lines += ["| group | members | importance |", "| --- | --- | ---: |"]
        for group in found["groups"]:
            members = ", ".join(code(m, 30) for m in _list(group.get("members")))
            lines.append(f"| {code(group.get('group'))} | {members} | {_spread(group)} |")
    for curve in found.get("partial_dependence") or []:
        average = [v for v in _list(curve.get("average")) if isinstance(v, int | float)]
        grid = _list(curve.get("grid"))
        if average and grid:
            which = f" (class {code(curve['class'])})" if curve.get("class") is not None else ""
            lines.append(
                f"\nPartial dependence on {code(curve.get('feature'))}{which}: the average "
                f"prediction goes from {number(min(average))} to {number(max(average))} over "
                f"{number(grid[0])} … {number(grid[-1])}."
            )
    return lines


def _spread(item: dict[str, Any]) -> str:
    std = item.get("std")
    return number(item.get("importance")) + (f" ± {number(std)}" if std is not None else "")


def approvals(found: dict[str, Any]) -> list[str]:
    run, status = found.get("run"), found.get("status")
    if run is None:
        return ["Published outside GitHub Actions: no run, no environment approvals."]
    starter = run.get("triggering_actor") or run.get("actor")
    lines = [
        f"Run {code(run.get('url'), 120)} ({code(run.get('workflow'))}, event "
        f"{code(run.get('event'))}), started by {code(starter)}.",
        "",
    ]
    environment = code(found.get("environment"))
    if status == "unreadable":
        return lines + [f"Approvals could not be read: {plain(found.get('reason'))}."]
    if not found.get("reviews"):
        return lines + [
            f"No required reviewers: the environment {environment} asked nobody to approve "
            "this release (add reviewers in Settings → Environments)."
        ]
    lines += [
        f"Reviews of the environment {environment}, all before {code(found.get('recorded_at'))} "
        "(GitHub records no time for a review; the job starts once it is approved):",
        "",
        "| reviewer | state | comment |",
        "| --- | --- | --- |",
    ]
    for review in found["reviews"]:
        comment = plain(review["comment"]) if review["comment"] else "—"
        lines.append(f"| {code(review['reviewer'])} | {code(review['state'])} | {comment} |")
    return lines
