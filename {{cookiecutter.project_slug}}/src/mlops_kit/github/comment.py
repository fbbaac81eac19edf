"""Post the pipeline report on the pull request, editing the previous one instead of adding more.

    PR_NUMBER=12 GITHUB_TOKEN=... python -m mlops_kit.github.comment --report reports/ci-report.md

The report always goes to the job summary ($GITHUB_STEP_SUMMARY) too. A token that may not
write (pull requests from forks), a missing PR_NUMBER or an API that keeps failing gives a
warning, never a failed job. COMMENT_AUTHOR is the account the token writes as
(default github-actions[bot]): only its own comments are edited.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from mlops_kit.github.client import GitHub, GitHubError
from mlops_kit.reporting.report import LIMIT, MARKER


def find_comment(gh: GitHub, number: int, author: str, marker: str = MARKER) -> dict | None:
    """The newest comment on the pull request by ``author`` that carries ``marker``."""
    comments = gh.paginate(f"/repos/{gh.repo}/issues/{number}/comments?per_page=100")
    ours = [
        c
        for c in comments
        if marker in (c.get("body") or "") and (c.get("user") or {}).get("login") == author
    ]
    return ours[-1] if ours else None


def upsert(gh: GitHub, number: int, body: str, author: str) -> tuple[str, dict]:
    """Edit our earlier report comment, or add one: ("updated" | "created", comment)."""
    existing = find_comment(gh, number, author)
    if existing:
        return "updated", gh.patch(
            f"/repos/{gh.repo}/issues/comments/{existing['id']}", {"body": body}
        )
    return "created", gh.post(f"/repos/{gh.repo}/issues/{number}/comments", {"body": body})


def append_summary(text: str) -> bool:
    """Append ``text`` to the job summary when running in GitHub Actions."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as summary:
        summary.write(text.rstrip("\n") + "\n\n")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--report", required=True)
    args = parser.parse_args(argv)
    report = Path(args.report)
    if not report.is_file():
        print(f"::warning::{report} not found; no pipeline report to post")
        return 0
    body = report.read_text(encoding="utf-8")
    if len(body) > LIMIT:
        body = body[: LIMIT - 200] + "\n\n_(report cut to fit GitHub's comment size limit)_\n"
    where = "the job summary" if append_summary(body) else str(report)
    number = os.environ.get("PR_NUMBER", "").strip()
    problem = None
    if not number.isdigit():
        problem = "PR_NUMBER is not set (not a pull request?)"
    elif not os.environ.get("GITHUB_TOKEN"):
        problem = "GITHUB_TOKEN is not set"
    else:
        try:
            gh = GitHub()
            author = os.environ.get("COMMENT_AUTHOR") or "github-actions[bot]"
            action, comment = upsert(gh, int(number), body, author)
        except GitHubError as exc:
            problem = f"the GitHub API refused or failed ({exc})"
            if exc.status in (403, 404):
                problem += "; the token cannot write here (a pull request from a fork?)"
    if problem:
        print(f"::warning::Report not posted on the pull request: {problem}. It is in {where}.")
        return 0
    url = (comment or {}).get("html_url") or "the report comment"
    print(f"comment: {action} {url} on PR #{number}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
