"""Keep one GitHub issue about the monitoring (of the model, or of all those of a many-models
project): opened on the first unhealthy check, updated in place on the next ones, closed with a
comment when a check is healthy again.

    python -m mlops_kit.monitoring.issue settings                 # monitor.* for the workflow
    python -m mlops_kit.monitoring.issue sync --report DIR        # GITHUB_TOKEN=...
    python -m mlops_kit.monitoring.issue retrain --ref main       # dispatch the Pipeline workflow

`sync` reads DIR/monitor.json and DIR/monitor.md and needs nothing but the standard library;
the release the report checked (monitor.json's inputs.release) is named, inert, in the table
of recent checks and in the closing comment. Of many models (monitor.json has `models`), the
body's report is listing.py's, exactly the unhealthy models (bounded): one issue for them all,
each check's row saying how many were unhealthy. The issue is found by a hidden marker naming
the model, among the issues ISSUE_AUTHOR (default github-actions[bot]) opened; a closed one is
reopened, so a model keeps one issue.
Its body keeps the last checks (hidden JSON); with RETRAIN=true, `sync` asks for a retrain
(`retrain=true` in $GITHUB_OUTPUT) when RETRAIN_K of the last RETRAIN_N checks were unhealthy
and none of those asked already.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from mlops_kit.github.client import GitHub, GitHubError
from mlops_kit.monitoring import listing
from mlops_kit.reporting.markdown import code

MARKER = "<!-- mlops-template:monitor model={} -->"
HISTORY = re.compile(r"<!-- monitor-history: (.*?) -->", re.S)
KEEP, LIMIT = 30, 60000
WORKFLOW = "pipeline.yml"


def history_of(body: str | None) -> list[dict]:
    found = HISTORY.findall(body or "")  # the last one: the report above may quote one
    try:
        entries = json.loads(found[-1]) if found else []
    except ValueError:
        entries = []
    return entries if isinstance(entries, list) else []


def render(model: str, report: str, history: list[dict]) -> str:
    """The issue body: the marker, the latest report, the recent checks, the history."""
    if len(report) > LIMIT:
        report = report[:LIMIT] + "\n\n_(report cut to fit; the full one is in the artifact)_\n"
    rows = ["### Recent checks\n", "| when | status | model | run |", "| --- | --- | --- | --- |"]
    for entry in history[::-1][:10]:
        run = f"[run]({entry['url']})" if entry.get("url") else "—"
        checked = code(entry["model"], 40) if entry.get("model") else "—"
        of = entry.get("models")
        of = (
            f" ({int(of[0])} of {int(of[1])} models)"
            if isinstance(of, list) and len(of) == 2
            else ""
        )
        rows.append(f"| {entry['when']} | {entry['status']}{of} | {checked} | {run} |")
    data = json.dumps(history[-KEEP:]).replace("--", "\\u002d\\u002d")
    return "\n".join([MARKER.format(model), report.strip(), "", *rows, ""]) + (
        f"\n<!-- monitor-history: {data} -->\n"
    )


def find_issue(gh: GitHub, model: str, author: str) -> dict | None:
    """The newest issue (open or closed) by ``author`` carrying the model's marker."""
    marker = MARKER.format(model)
    issues = gh.paginate(f"/repos/{gh.repo}/issues?state=all&per_page=100")
    ours = [
        i
        for i in issues
        if "pull_request" not in i
        and marker in (i.get("body") or "")
        and (i.get("user") or {}).get("login") == author
    ]
    return max(ours, key=lambda i: i["number"]) if ours else None


def wants_retrain(history: list[dict], k: int, n: int) -> bool:
    recent = history[-n:]
    asked = any(entry.get("retrain") for entry in recent)
    return not asked and sum(entry["status"] == "unhealthy" for entry in recent) >= k


def sync(
    gh: GitHub,
    model: str,
    status: str,
    report: str,
    author: str,
    retrain: tuple | None,
    version: str | None = None,
    tally: tuple[int, int] | None = None,
):
    """Bring the issue in line with a check of ``status`` of ``version`` (the release
    checked, when the report names one) and, of many models, ``tally`` (unhealthy, all):
    (what was done, the issue, whether to retrain)."""
    issue = find_issue(gh, model, author)
    is_open = issue is not None and issue.get("state") == "open"
    if status != "unhealthy" and not is_open:
        return "nothing to do", issue, False
    history = history_of(issue.get("body") if issue else None)
    entry = {"when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "status": status}
    if version:
        entry["model"] = version
    if tally:
        entry["models"] = list(tally)
    server, run = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_RUN_ID")
    if server and run:
        entry["url"] = f"{server}/{gh.repo}/actions/runs/{run}"
    history.append(entry)
    again = retrain is not None and wants_retrain(history, *retrain)
    entry["retrain"] = again
    body = render(model, report, history)
    path = f"/repos/{gh.repo}/issues"
    if issue is None:
        title = f"Model monitoring: {model} is unhealthy"
        return "opened", gh.post(path, {"title": title, "body": body}), again
    if status == "unhealthy":
        action = "updated" if is_open else "reopened"
        return action, gh.patch(f"{path}/{issue['number']}", {"body": body, "state": "open"}), again
    if status == "healthy":
        of = f" of {code(version, 40)}" if version else ""
        note = f"The latest check{of} is healthy again; closing. The next unhealthy one reopens it."
        gh.post(f"{path}/{issue['number']}/comments", {"body": note})
        change = {"body": body, "state": "closed", "state_reason": "completed"}
        return "closed", gh.patch(f"{path}/{issue['number']}", change), False
    return "updated", gh.patch(f"{path}/{issue['number']}", {"body": body}), False


def output(**values: object) -> None:
    """Write ``key=value`` lines to $GITHUB_OUTPUT (and show them)."""
    lines = [f"{key}={value}" for key, value in values.items()]
    print("\n".join(lines))
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")


def settings(params_path: str = "params.yaml") -> int:
    from mlops_kit import common

    try:
        section = common.load_params("monitor", params_path)
        current = str(common.require(section, "current", "monitor"))
    except common.UserError as exc:
        return common.fail(exc)
    retrain = section.get("retrain") or {}
    enabled = "true" if retrain.get("enabled") is True else "false"
    output(current=current, retrain=enabled, k=retrain.get("k", 3), n=retrain.get("n", 4))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("settings", "sync", "retrain"))
    parser.add_argument("--report", default="reports/monitor")
    parser.add_argument("--model", default="model", help="the model's name in the issue")
    parser.add_argument("--ref", default="main", help="branch the retrain runs on")
    args = parser.parse_args(argv)
    if args.action == "settings":
        return settings()
    env = os.environ
    try:
        gh = GitHub()
        if args.action == "retrain":
            gh.post(f"/repos/{gh.repo}/actions/workflows/{WORKFLOW}/dispatches", {"ref": args.ref})
            print(f"issue: dispatched {WORKFLOW} on {args.ref}")
            return 0
        document, report = listing.read(Path(args.report))  # of many models: the unhealthy
        status, inputs = document["status"], document.get("inputs")
        version = inputs.get("release") if isinstance(inputs, dict) else None
        retrain = None
        if env.get("RETRAIN") == "true":
            retrain = (int(env.get("RETRAIN_K") or 3), int(env.get("RETRAIN_N") or 4))
        author = env.get("ISSUE_AUTHOR") or "github-actions[bot]"
        version = version if isinstance(version, str) else None
        tally = listing.tally(document)
        action, issue, again = sync(gh, args.model, status, report, author, retrain, version, tally)
    except (OSError, ValueError, KeyError) as exc:
        print(f"::error::cannot read the monitoring report in {args.report}: {exc}")
        return 2
    except GitHubError as exc:
        print(f"::error::GitHub refused or failed: {exc}")
        return 1
    where = f"#{issue['number']}" if issue else "no issue"
    print(f"issue: {status}: {action} ({where})")
    output(retrain="true" if again else "false", issue=issue["number"] if issue else "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
