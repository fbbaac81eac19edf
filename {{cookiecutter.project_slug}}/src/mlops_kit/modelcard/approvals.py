"""Who started the release run and who approved it, for the model card.

The Publish job runs in the GitHub Environment `model-release`; when it has required
reviewers, the job waits until one approves. GitHub keeps each review of a run
(`GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals`: the reviewer, the state, the
comment and the environments reviewed); the token needs `actions: read`. GitHub records
no time for a review: the job starts only once approved, so the card states the time it
was written as the latest the approval can have happened.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mlops_kit.github.client import GitHub, GitHubError

ENVIRONMENT = "model-release"


def run(env: Mapping[str, str] = os.environ) -> dict[str, Any] | None:
    """The GitHub Actions run this is part of, from its variables; None outside Actions."""
    run_id = env.get("GITHUB_RUN_ID")
    if not run_id:
        return None
    server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    attempt = env.get("GITHUB_RUN_ATTEMPT") or "1"
    url = f"{server}/{env.get('GITHUB_REPOSITORY', '')}/actions/runs/{run_id}"
    return {
        "id": run_id,
        "attempt": attempt,
        "url": url if attempt == "1" else f"{url}/attempts/{attempt}",
        "workflow": env.get("GITHUB_WORKFLOW"),
        "event": env.get("GITHUB_EVENT_NAME"),
        "actor": env.get("GITHUB_ACTOR"),
        "triggering_actor": env.get("GITHUB_TRIGGERING_ACTOR") or env.get("GITHUB_ACTOR"),
    }


def reviews(entries: Any, environment: str = ENVIRONMENT) -> list[dict[str, Any]]:
    """The reviews of ``environment`` in GitHub's answer (a list of environment approvals)."""
    found = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        names = [str(e.get("name")) for e in entry.get("environments") or [] if isinstance(e, dict)]
        if names and environment not in names:
            continue
        user = entry.get("user") if isinstance(entry.get("user"), dict) else {}
        found.append(
            {
                "reviewer": str(user.get("login") or "?"),
                "state": str(entry.get("state") or "?"),
                "comment": str(entry.get("comment") or ""),
                "environments": names,
            }
        )
    return found


def status(found: list[dict[str, Any]]) -> str:
    if not found:
        return "no required reviewers"
    return "approved" if any(r["state"] == "approved" for r in found) else found[-1]["state"]


def collect(
    gh: GitHub | None,
    env: Mapping[str, str] = os.environ,
    now: datetime | None = None,
    environment: str = ENVIRONMENT,
) -> dict[str, Any]:
    """The approvals record of the card: the run, its reviews and what they add up to."""
    recorded = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    record: dict[str, Any] = {"environment": environment, "recorded_at": recorded}
    context = run(env)
    if context is None or gh is None:
        return {**record, "status": "outside GitHub Actions", "run": None, "reviews": []}
    try:
        answer = gh.get(f"/repos/{gh.repo}/actions/runs/{context['id']}/approvals")
    except GitHubError as exc:
        print(f"::warning::The model card cannot list the release's approvals: {exc}")
        return {**record, "status": "unreadable", "reason": str(exc), "run": context, "reviews": []}
    found = reviews(answer, environment)
    return {**record, "status": status(found), "run": context, "reviews": found}
