"""Experiments judged as their pull request would be: metrics against the baseline, the
parameters that differ, and the gate's verdict, in the terminal and as Markdown.

    python -m mlops_kit.comparison.experiments               # the experiments of HEAD
    python -m mlops_kit.comparison.experiments depth tiny    # by name; `depth` is also the
                                                             # sweep `-n depth` queued: depth-1...
    python -m mlops_kit.comparison.experiments 'lr-*' --base main --markdown reports/exps.md
    python -m mlops_kit.comparison.experiments --all         # of every commit

DVC keeps each finished experiment as a commit at `refs/exps/<baseline>/<name>`; its
metrics, parameters and slices are read from that commit with git, so nothing is applied or
checked out. Each is compared by compare.py with the baseline its pull request would have
(baseline.py): the metrics committed at the commit it ran from, or with --base BRANCH at the
merge-base with that branch, else the newest release; and judged by `compare:` of that
baseline. Runs of the queue that are still queued, running or failed are listed after the
table. Exits 1 when a listed experiment fails the gate, 2 on an error (one line).
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.comparison import baseline, compare, diffs, slice_gaps
from mlops_kit.reporting import experiments_table

REF = re.compile(r"refs/exps/([0-9a-f]{2})/([0-9a-f]{38})/([^/]+)")
PARAMS = "params.yaml"


@dataclass(frozen=True)
class Experiment:
    name: str
    sha: str
    baseline: str  # the commit it ran from


def listed() -> list[Experiment]:
    """Every finished experiment of this clone, oldest first."""
    if baseline.git("rev-parse", "--git-dir") is None:
        raise common.UserError("not in a git checkout: run it in the project's clone")
    shown = baseline.git(
        "for-each-ref", "--format=%(committerdate:unix) %(objectname) %(refname)", "refs/exps"
    )
    found = []
    for line in (shown or "").splitlines():
        when, sha, ref = line.split(" ", 2)
        match = REF.fullmatch(ref)
        if match:  # not DVC's own stashes and work refs (refs/exps/celery/..., exec/...)
            found.append(
                (int(when), natural(match[3]), Experiment(match[3], sha, match[1] + match[2]))
            )
    return [exp for *_, exp in sorted(found, key=lambda item: item[:2])]


def natural(name: str) -> list:
    """A sort key that puts depth-2 before depth-10."""
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name)
    ]


def matches(name: str, pattern: str) -> bool:
    """Whether ``name`` is ``pattern``, matches it as a glob, or is of the sweep it names."""
    sweep = re.fullmatch(re.escape(pattern) + r"-\d+", name)
    return name == pattern or fnmatch.fnmatchcase(name, pattern) or sweep is not None


def select(found: list[Experiment], names: list[str], everywhere: bool, head, waiting=()):
    """The experiments asked for: by name, glob or sweep prefix (``name-N``); else those of
    HEAD, or with ``everywhere`` all of them. ``waiting``: the queue's unfinished runs."""
    if not names:
        return found if everywhere else [e for e in found if e.baseline == head]
    chosen: list[Experiment] = []
    for name in names:
        hits = [e for e in found if e.name == name] or [e for e in found if matches(e.name, name)]
        queued = [w for w in waiting if matches(w["name"], name)]
        if not hits and queued:
            state = ", ".join(f"{w['name']} {w['status'].lower()}" for w in queued[:5])
            raise common.UserError(
                f"{name!r} has not finished in the queue ({state}): `dvc queue status`, "
                f"`dvc queue logs {queued[0]['name']}`"
            )
        if not hits:
            raise common.UserError(
                f"no finished experiment is named {name!r}: `dvc exp list --all` lists them, "
                "`dvc queue status` shows the queue"
            )
        chosen += [e for e in hits if e not in chosen]
    return chosen


def judge(exp: Experiment, base: str | None, model: str, cache: dict) -> dict[str, Any]:
    """compare.json's content for ``exp`` (or {"error": ...} when it cannot be compared)."""
    if diffs.json_at(exp.sha, baseline.METRICS) is None:
        return {"error": f"no {baseline.METRICS} in it (the run stopped before evaluate?)"}
    if base:
        found = baseline.find("pull_request", base, model, change=exp.sha)
    else:
        where = f"the commit it ran from, {exp.baseline[:7]}"
        key = exp.baseline
        if key not in cache:
            cache[key] = baseline.at_commit(key, key, None, model, baseline.METRICS, where)
        found = cache[key]
    try:
        return compare.compare(found, baseline.METRICS, PARAMS, slice_gaps.SLICES, at=exp.sha)
    except common.UserError as exc:
        return {"error": str(exc)}


def queue() -> list[dict[str, str]]:
    """The queue's runs that did not finish ({name, status}); [] without a queue."""
    if not Path(".dvc/tmp/exps/celery").is_dir():
        return []
    try:
        from dvc.repo import Repo

        with Repo() as repo:
            runs = repo.experiments.celery_queue.status()
    except Exception as exc:  # the table is still worth showing: say the queue was not read
        return [{"name": "(the queue)", "status": f"not read: {type(exc).__name__}"}]
    return [
        {"name": run.get("name") or str(run.get("rev") or "")[:7], "status": run["status"]}
        for run in runs
        if run.get("status") not in ("Success", None)
    ]


def run(args, waiting: list[dict[str, str]]) -> list[dict[str, Any]]:
    head = baseline.commit("HEAD")
    found = listed()
    chosen = select(found, args.names, args.all, head, waiting)
    if not chosen:
        others = len({e.baseline for e in found})
        where = f"; --all shows the {len(found)} of {others} other commits" if found else ""
        raise common.UserError(
            f"no experiment of HEAD ({(head or 'none')[:7]}) yet: `dvc exp run` makes one{where}"
        )
    model = baseline.model_name()
    cache: dict[str, dict] = {}
    return [
        {"name": e.name, "sha": e.sha, "ran_from": e.baseline, **judge(e, args.base, model, cache)}
        for e in chosen
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="experiment names, globs or sweep names")
    parser.add_argument("--all", action="store_true", help="experiments of every commit")
    parser.add_argument("--base", help="compare as a pull request into this branch would")
    parser.add_argument("--markdown", help="write the report as GitHub Markdown to this file")
    parser.add_argument("--json", help="write every comparison as JSON to this file")
    args = parser.parse_args(argv)
    try:
        waiting, head = queue(), baseline.commit("HEAD")
        rows = run(args, waiting)
        if args.names:  # only the queue's runs of the experiments asked for
            waiting = [w for w in waiting if any(matches(w["name"], n) for n in args.names)]
        print(experiments_table.terminal(rows, waiting, head))
        if args.markdown:
            text = experiments_table.markdown(rows, waiting, head)
            Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
            Path(args.markdown).write_text(text, encoding="utf-8")
            print(f"wrote {args.markdown}")
        if args.json:
            common.write_json(args.json, rows, sort_keys=False)
            print(f"wrote {args.json}")
    except common.UserError as exc:
        return common.fail(exc)
    sys.stdout.flush()
    return 1 if any(row.get("passed") is False for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
