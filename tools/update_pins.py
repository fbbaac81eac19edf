"""Propose newer pins for the tools and actions a generated project starts with.

    python3 tools/update_pins.py                     # look up, print what would change
    python3 tools/update_pins.py --write             # ... and edit the files in place
    python3 tools/update_pins.py --open-pr           # propose what is written (a pull request)
    python3 tools/update_pins.py --write --open-pr   # both in one go

Python pins: every `name==X.Y.Z` in the generated project's .pre-commit-config.yaml (the
hooks' `additional_dependencies`), and the same names where pyproject.toml files pin them
with `==` (the generated project's dev extra, and this repository's own tooling, which must
stay equal to the hooks'). The newest stable, non-yanked release comes from the package
index's JSON API (`$PYPI_URL`, default https://pypi.org).

Action pins: every `uses: owner/repo@<40-hex sha> # vX.Y.Z` in the generated project's
workflows and local composite actions (.github/actions/<name>/action.yml), and in this
repository's workflows. The newest release comes from GitHub's REST API
(`$GITHUB_API_URL`, token `$GITHUB_TOKEN`), and the sha is the commit of its tag. Major
versions are proposed too (a person reviews the pull request); the table and the pull request
say which ones are major bumps (X in X.y.z, or y in 0.y.z).

Only the version strings (and an action's sha) change; everything else in the files stays as
it is. Every look-up happens before anything is written, so a failed look-up leaves no file
half-updated. Standard library only.

--open-pr commits the pin files' changes against HEAD (nothing else) on a branch
`update-pins/<date>`, pushes it to `origin` and opens a pull request in `$GITHUB_REPOSITORY`.
When an open pull request from an earlier run exists (its branch starts with `update-pins/`),
its branch is force-pushed and its description replaced instead: one pull request, kept up to
date.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SLUG = "{{cookiecutter.project_slug}}"
HOOKS_FILE = f"{SLUG}/.pre-commit-config.yaml"
PYPROJECTS = (f"{SLUG}/pyproject.toml", "pyproject.toml")
WORKFLOW_GLOBS = (
    f"{SLUG}/.github/workflows/*.yml",
    f"{SLUG}/.github/actions/*/action.yml",
    ".github/workflows/*.yml",
)
BRANCH_PREFIX = "update-pins/"
OWN_WORKFLOWS = ".github/workflows/"
TIMEOUT = 30
USER_AGENT = "mlops-template-update-pins"
BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"

# `name==1.2.3`, `name[extra]==1.2.3`, or `name{{ jinja }}==1.2.3` (the hooks' DVC with the
# remote's extra). Not preceded by a name character, so `pre-commit==` is not in
# `pre-commit-hooks==` and the other way round.
PY_PIN = re.compile(
    r"(?<![\w.-])(?P<name>[A-Za-z0-9](?:[\w.-]*[A-Za-z0-9])?)"
    r"(?:\[[\w,. -]*\]|\{\{[^}]*\}\})?==(?P<version>\d+(?:\.\d+)*)(?![\w.])"
)
ACTION_PIN = re.compile(
    r"uses:\s*(?P<repo>[\w.-]+/[\w.-]+)(?:/[^@\s]*)?@(?P<sha>[0-9a-f]{40})"
    r"(?P<gap>\s*#\s*)(?P<tag>v?\d+(?:\.\d+)*)(?![\w.])"
)
STABLE = re.compile(r"v?(\d+(?:\.\d+)*)(?:\.?post(\d+))?")


class Failure(Exception):
    """One line for the user: what went wrong and what to do."""


@dataclass(frozen=True)
class Pin:
    """One pinned version at one place in one file."""

    kind: str  # "python" or "action"
    name: str  # package name, or owner/repo
    path: str  # relative to ROOT
    start: int  # span of the text to replace
    end: int
    version: str  # as written: "0.17.6", "v4.2.2"
    sha: str = ""  # actions only


@dataclass(frozen=True)
class Change:
    kind: str
    name: str
    old: str
    new: str
    old_sha: str = ""
    new_sha: str = ""

    @property
    def major(self) -> bool:
        """A bump that may break, by semantic versioning: X in X.y.z, or y in 0.y.z."""
        old, new = version_key(self.old)[0], version_key(self.new)[0]
        width = 2 if old[0] == 0 else 1
        return (old + (0,))[:width] != (new + (0,))[:width]


def version_key(version: str) -> tuple[tuple[int, ...], int]:
    """A sort key for a stable version ("1.2.3", "v4", "2.0.post1"); ValueError otherwise."""
    match = STABLE.fullmatch(version.strip())
    if not match:
        raise ValueError(version)
    release = tuple(int(part) for part in match.group(1).split("."))
    while len(release) > 1 and release[-1] == 0:  # 1.0 == 1.0.0
        release = release[:-1]
    return release, int(match.group(2) or -1)


def is_stable(version: str) -> bool:
    try:
        version_key(version)
    except ValueError:
        return False
    return True


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# -- finding the pins ---------------------------------------------------------------------


def read(root: Path, path: str) -> str:
    return (root / path).read_text(encoding="utf-8")


def python_pins(root: Path, path: str, text: str, names: set[str] | None) -> list[Pin]:
    pins = []
    for match in PY_PIN.finditer(text):
        name = canonical(match["name"])
        if names is None or name in names:
            start, end = match.span("version")
            pins.append(Pin("python", name, path, start, end, match["version"]))
    return pins


def action_pins(path: str, text: str) -> list[Pin]:
    pins = []
    for match in ACTION_PIN.finditer(text):
        start, end = match.start("sha"), match.end("tag")
        pins.append(Pin("action", match["repo"], path, start, end, match["tag"], match["sha"]))
    return pins


def find_pins(root: Path, texts: dict[str, str] | None = None) -> list[Pin]:
    """Every pin this tool maintains, in file order. `texts` overrides files by path."""

    def text_of(path: str) -> str:
        return texts[path] if texts is not None and path in texts else read(root, path)

    pins = python_pins(root, HOOKS_FILE, text_of(HOOKS_FILE), None)
    names = {pin.name for pin in pins}
    for path in PYPROJECTS:
        pins += python_pins(root, path, text_of(path), names)
    for pattern in WORKFLOW_GLOBS:
        for file in sorted(root.glob(pattern)):
            path = file.relative_to(root).as_posix()
            pins += action_pins(path, text_of(path))
    return pins


def pin_files(root: Path) -> list[str]:
    files = [HOOKS_FILE, *PYPROJECTS]
    for pattern in WORKFLOW_GLOBS:
        files += [f.relative_to(root).as_posix() for f in sorted(root.glob(pattern))]
    return files


# -- looking up the newest releases -------------------------------------------------------


def request(url: str, *, method: str = "GET", body: dict | None = None, token: str = ""):
    """JSON from `url`; (status, data). HTTP errors come back as their status and body."""
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    if "/repos/" in url:
        headers["Accept"] = "application/vnd.github+json"
        headers["X-GitHub-Api-Version"] = "2022-11-28"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as response:
            raw, status, link = response.read(), response.status, response.headers.get("Link")
    except urllib.error.HTTPError as err:
        raw, status, link = err.read(), err.code, None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise ConnectionError(f"{reason}") from err
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        payload = None
    return status, payload, link


def pypi_latest(name: str, index: str) -> str:
    url = f"{index}/pypi/{urllib.parse.quote(name)}/json"
    try:
        status, data, _ = request(url)
    except ConnectionError as err:
        raise Failure(
            f"cannot reach the package index at {index} ({err}): check the network, "
            "or set PYPI_URL to a reachable index"
        ) from None
    if status == 404:
        raise Failure(f"{name} is not on the package index at {index}: fix the pin by hand")
    if status != 200 or not isinstance(data, dict):
        raise Failure(f"the package index at {index} answered {status} for {name}: retry later")
    releases = data.get("releases") or {}

    def usable(version: str) -> bool:
        files = releases.get(version)
        if files is None:  # an index that does not list files: trust info.version
            return is_stable(version)
        return is_stable(version) and any(not f.get("yanked") for f in files)

    latest = (data.get("info") or {}).get("version", "")
    if latest and usable(latest):
        return latest
    stable = [v for v in releases if usable(v)]
    if not stable:
        raise Failure(f"{name} has no stable, non-yanked release on {index}: fix the pin by hand")
    return max(stable, key=version_key)


def github_error(status: int, data, what: str) -> Failure:
    message = data.get("message", "") if isinstance(data, dict) else ""
    detail = f" ({message})" if message else ""
    if status == 401:
        return Failure(
            f"GitHub refused the token (401{detail}) for {what}: set GITHUB_TOKEN to a valid token"
        )
    if status == 403 or status == 429:
        return Failure(
            f"GitHub denied {what} ({status}{detail}): rate limited or the token lacks the "
            "permission (the workflow needs contents: write and pull-requests: write); "
            "retry later or use a token that has it"
        )
    return Failure(f"GitHub answered {status}{detail} for {what}")


class GitHub:
    def __init__(self, api: str, token: str) -> None:
        self.api, self.token = api.rstrip("/"), token
        self.releases: dict[str, tuple[str, str] | None] = {}

    def call(self, method: str, path: str, body: dict | None = None, *, ok=(200,)):
        url = path if path.startswith("http") else f"{self.api}{path}"
        try:
            status, data, link = request(url, method=method, body=body, token=self.token)
        except ConnectionError as err:
            raise Failure(
                f"cannot reach GitHub's API at {self.api} ({err}): check the network, "
                "or set GITHUB_API_URL"
            ) from None
        if status not in ok:
            raise github_error(status, data, f"{method} {urllib.parse.urlsplit(url).path}")
        return status, data, link

    def pages(self, path: str) -> list:
        items, url = [], path
        while url:
            _, data, link = self.call("GET", url)
            items += data or []
            found = re.search(r'<([^>]+)>;\s*rel="next"', link or "")
            url = found.group(1) if found else ""
        return items

    def latest_release(self, repo: str) -> tuple[str, str] | None:
        """(tag, commit sha) of the repository's latest release; None if it has none."""
        if repo not in self.releases:
            self.releases[repo] = self._latest_release(repo)
        return self.releases[repo]

    def _latest_release(self, repo: str) -> tuple[str, str] | None:
        status, data, _ = self.call("GET", f"/repos/{repo}/releases/latest", ok=(200, 404))
        if status == 404:
            return None
        tag = data["tag_name"]
        _, commit, _ = self.call("GET", f"/repos/{repo}/commits/{urllib.parse.quote(tag)}")
        return tag, commit["sha"]


def look_up(pins: list[Pin], index: str, github: GitHub) -> tuple[dict[str, Change], list[str]]:
    """{name: change} for every pin with a newer release, and notes about the ones skipped."""
    changes: dict[str, Change] = {}
    notes: list[str] = []
    seen: set[str] = set()
    newest: dict[str, str] = {}
    for pin in pins:
        key = f"{pin.kind}:{pin.name}:{pin.version}:{pin.sha}"
        if key in seen:
            continue
        seen.add(key)
        if pin.kind == "python":
            if pin.name not in newest:
                newest[pin.name] = pypi_latest(pin.name, index)
            latest = newest[pin.name]
            if version_key(latest) > version_key(pin.version):
                changes[key] = Change("python", pin.name, pin.version, latest)
            continue
        found = github.latest_release(pin.name)
        if found is None:
            notes.append(f"{pin.name}: no releases on GitHub, left at {pin.version}")
            continue
        tag, sha = found
        if not is_stable(tag):
            notes.append(f"{pin.name}: latest release {tag} is not a version, left as it is")
        elif version_key(tag) > version_key(pin.version):
            changes[key] = Change("action", pin.name, pin.version, tag, pin.sha, sha)
    return changes, notes


def key_of(pin: Pin) -> str:
    return f"{pin.kind}:{pin.name}:{pin.version}:{pin.sha}"


def apply(root: Path, pins: list[Pin], changes: dict[str, Change]) -> dict[str, str]:
    """{path: new text} of every file that changes; only the version strings differ."""
    by_file: dict[str, list[tuple[Pin, Change]]] = {}
    for pin in pins:
        if key_of(pin) in changes:
            by_file.setdefault(pin.path, []).append((pin, changes[key_of(pin)]))
    texts = {}
    for path, edits in by_file.items():
        text = read(root, path)
        for pin, change in sorted(edits, key=lambda e: e[0].start, reverse=True):
            if pin.kind == "python":
                new = change.new
            else:
                gap = text[pin.start + 40 : pin.end - len(pin.version)]
                new = f"{change.new_sha}{gap}{change.new}"
            text = text[: pin.start] + new + text[pin.end :]
        texts[path] = text
    return texts


def write_all(root: Path, texts: dict[str, str]) -> None:
    """Each file replaced whole (a temporary file renamed over it), after all were computed."""
    staged = []
    try:
        for path, text in texts.items():
            target = root / path
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            os.chmod(tmp, target.stat().st_mode & 0o777)
            staged.append((tmp, target))
        for tmp, target in staged:
            os.replace(tmp, target)
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)


def table(changes: list[Change]) -> str:
    rows = ["| kind | name | from | to | note |", "| --- | --- | --- | --- | --- |"]
    for c in changes:
        note = "major" if c.major else ""
        old = f"{c.old} ({c.old_sha[:7]})" if c.old_sha else c.old
        new = f"{c.new} ({c.new_sha[:7]})" if c.new_sha else c.new
        rows.append(f"| {c.kind} | `{c.name}` | {old} | {new} | {note} |")
    return "\n".join(rows)


# -- proposing: commit, push, pull request ------------------------------------------------


def git(root: Path, *args: str, env: dict | None = None) -> str:
    result = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, env=env or os.environ.copy()
    )
    if result.returncode:
        last = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise Failure(f"git {args[0]} failed: {last[-1] if last else result.returncode}")
    return result.stdout.strip()


def written_changes(root: Path) -> tuple[list[tuple[str, Change]], list[str]]:
    """The pin changes of the working tree against HEAD as (path, change), and the files."""
    files = [p for p in pin_files(root) if git(root, "status", "--porcelain", "--", p)]
    if not files:
        return [], []
    head = {}
    for path in pin_files(root):
        try:
            head[path] = git(root, "show", f"HEAD:{path}") + "\n"
        except Failure:
            head[path] = ""
    before, after = find_pins(root, head), find_pins(root)
    if [(p.kind, p.name, p.path) for p in before] != [(p.kind, p.name, p.path) for p in after]:
        raise Failure(
            "the pin files changed in more than their versions since HEAD: "
            "commit or revert those edits first"
        )
    changes = []
    for old, new in zip(before, after, strict=True):
        if (old.version, old.sha) != (new.version, new.sha):
            change = Change(old.kind, old.name, old.version, new.version, old.sha, new.sha)
            changes.append((old.path, change))
    return changes, files


def unique(changes: list[tuple[str, Change]]) -> list[Change]:
    return list(dict.fromkeys(change for _, change in changes))


def pr_body(changes: list[Change], tests: str, left_out: list[Change]) -> str:
    majors = [c.name for c in changes if c.major]
    lines = [
        "Newer releases of the tools and actions that generated projects start with "
        "(and of this repository's own pins of the same tools).",
        "",
        table(changes),
        "",
    ]
    if majors:
        lines += [
            "**Major version bumps:** " + ", ".join(f"`{m}`" for m in majors) + ". Read their "
            "release notes before merging.",
            "",
        ]
    if left_out:
        lines += [
            f"**Not included:** this repository's own `{OWN_WORKFLOWS}` files, which the token "
            "may not change (it lacks the Workflows permission; store a token that has it as "
            "the secret `PIN_UPDATE_TOKEN`). Their pins to update by hand: "
            + ", ".join(f"`{c.name}` {c.old} -> {c.new}" for c in left_out)
            + ".",
            "",
        ]
    run = ""
    if os.environ.get("GITHUB_RUN_ID") and os.environ.get("GITHUB_REPOSITORY"):
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
        run = f" ([run]({server}/{os.environ['GITHUB_REPOSITORY']}/actions/runs/"
        run += f"{os.environ['GITHUB_RUN_ID']}))"
    verdict = {
        "success": f"The fast tier passed with these pins{run}.",
        "failure": f"**The fast tier failed with these pins{run}.** Fix the template on this "
        "branch before merging.",
    }.get(tests, f"The fast tier was not run{run}.")
    lines += [
        verdict,
        "",
        "Opened by the scheduled *Update pins* workflow (`tools/update_pins.py`); the next run "
        "force-pushes this branch and rewrites this description. A pull request opened with "
        "the workflow's own token starts no other workflow: close and reopen it, or push to "
        "it, to run the template tests.",
    ]
    return "\n".join(lines)


def git_env(root: Path) -> dict[str, str]:
    """git's environment: a committer when none is configured, and GITHUB_TOKEN as an
    http header for GITHUB_SERVER_URL (through the environment, never on a command line)."""
    env = os.environ.copy()
    probe = subprocess.run(["git", "config", "user.name"], cwd=root, capture_output=True)
    if probe.returncode:
        env.setdefault("GIT_AUTHOR_NAME", BOT_NAME)
        env.setdefault("GIT_AUTHOR_EMAIL", BOT_EMAIL)
        env.setdefault("GIT_COMMITTER_NAME", BOT_NAME)
        env.setdefault("GIT_COMMITTER_EMAIL", BOT_EMAIL)
    token = os.environ.get("GITHUB_TOKEN", "")
    if token:
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        count = int(env.get("GIT_CONFIG_COUNT", "0"))
        env[f"GIT_CONFIG_KEY_{count}"] = f"http.{server}/.extraheader"
        env[f"GIT_CONFIG_VALUE_{count}"] = f"AUTHORIZATION: basic {basic}"
        env["GIT_CONFIG_COUNT"] = str(count + 1)
    return env


def commit_and_push(
    root: Path, env: dict[str, str], files: list[str], changes: list[Change], branch: str
) -> None:
    """A commit of HEAD plus `files`, made in a private index (the checkout, its index and
    any other change in the working tree stay as they are), force-pushed to `branch`.
    PermissionError when the remote refuses workflow files."""
    with tempfile.TemporaryDirectory() as tmp:
        index_env = {**env, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git(root, "read-tree", "HEAD", env=index_env)
        git(root, "add", "--", *files, env=index_env)
        tree = git(root, "write-tree", env=index_env)
    names = ", ".join(sorted({c.name for c in changes}))
    message = f"Update pins: {names}\n\n{table(changes)}\n"
    commit = git(root, "commit-tree", tree, "-p", "HEAD", "-m", message, env=env)
    push = subprocess.run(
        ["git", "push", "--quiet", "--force", "origin", f"{commit}:refs/heads/{branch}"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    if push.returncode and "without `workflows` permission" in push.stderr:
        raise PermissionError(push.stderr)
    if push.returncode:
        lines = [line.strip() for line in push.stderr.splitlines() if line.strip()]
        telling = [line for line in lines if line.startswith(("fatal:", "!"))] or lines
        raise Failure(
            f"git push to origin failed: {telling[0] if telling else push.returncode}; "
            "check that the token may push (contents: write)"
        )


def open_pr(root: Path, github: GitHub, tests: str) -> int:
    repo = os.environ.get("GITHUB_REPOSITORY", "")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise Failure("GITHUB_REPOSITORY is not set (owner/name): say where to open the PR")
    if not github.token:
        raise Failure("GITHUB_TOKEN is not set: a token is needed to open the pull request")
    changes, files = written_changes(root)
    if not changes:
        print("Nothing to propose: the pin files are as committed.")
        return 0
    owner = repo.split("/")[0]
    base = os.environ.get("PIN_UPDATE_BASE") or os.environ.get("GITHUB_REF_NAME") or ""
    if not base or os.environ.get("GITHUB_REF_TYPE") == "tag":
        base = git(root, "rev-parse", "--abbrev-ref", "HEAD")
        base = "main" if base == "HEAD" else base
    open_prs = [
        pr
        for pr in github.pages(f"/repos/{repo}/pulls?state=open&per_page=100")
        if pr["head"]["ref"].startswith(BRANCH_PREFIX)
        and ((pr["head"].get("repo") or {}).get("full_name") or repo) == repo
    ]
    existing = max(open_prs, key=lambda pr: pr["number"], default=None)
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    branch = existing["head"]["ref"] if existing else f"{BRANCH_PREFIX}{today}"

    env = git_env(root)
    left_out: list[Change] = []
    try:
        commit_and_push(root, env, files, unique(changes), branch)
    except PermissionError:
        # GitHub refuses workflow files from a token without the Workflows permission (the
        # workflow's own GITHUB_TOKEN never has it): propose the rest, name what is left out.
        files = [f for f in files if not f.startswith(OWN_WORKFLOWS)]
        kept = [(p, c) for p, c in changes if not p.startswith(OWN_WORKFLOWS)]
        left_out = unique([(p, c) for p, c in changes if p.startswith(OWN_WORKFLOWS)])
        changes = kept
        if not files:
            raise Failure(
                f"the token may not change {OWN_WORKFLOWS} files and nothing else changed: "
                "store a token with the Workflows permission as PIN_UPDATE_TOKEN"
            ) from None
        commit_and_push(root, env, files, unique(changes), branch)
    changes = unique(changes)

    title = f"Update pins ({today})" + (" - fast tier failing" if tests == "failure" else "")
    body = pr_body(changes, tests, left_out)
    if existing:
        _, pr, _ = github.call(
            "PATCH", f"/repos/{repo}/pulls/{existing['number']}", {"title": title, "body": body}
        )
        print(f"Updated pull request #{pr['number']} ({branch}): {pr.get('html_url', '')}")
    else:
        payload = {"title": title, "head": f"{owner}:{branch}", "base": base, "body": body}
        if tests == "failure":
            payload["draft"] = True
        _, pr, _ = github.call("POST", f"/repos/{repo}/pulls", payload, ok=(201,))
        print(f"Opened pull request #{pr['number']} ({branch}): {pr.get('html_url', '')}")
    return 0


# -- command line -------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="edit the files in place")
    parser.add_argument(
        "--open-pr",
        action="store_true",
        help="commit the written pin changes on a branch, push it, open or update the PR",
    )
    parser.add_argument(
        "--tests",
        default=os.environ.get("PIN_UPDATE_TESTS", ""),
        help="outcome of the tests with the new pins (success/failure/skipped), for the PR",
    )
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    index = os.environ.get("PYPI_URL", "https://pypi.org").rstrip("/")
    github = GitHub(
        os.environ.get("GITHUB_API_URL", "https://api.github.com"),
        os.environ.get("GITHUB_TOKEN", ""),
    )
    try:
        if args.write or not args.open_pr:
            pins = find_pins(root)
            changes, notes = look_up(pins, index, github)
            for note in notes:
                print(f"note: {note}")
            if not changes:
                print(f"All {len(pins)} pins are up to date.")
            else:
                print(table(list(changes.values())))
                texts = apply(root, pins, changes)
                if args.write:
                    write_all(root, texts)
                    print(f"Wrote {len(texts)} files: {', '.join(sorted(texts))}")
                else:
                    print("(--write to edit the files)")
        if args.open_pr:
            return open_pr(root, github, args.tests)
    except Failure as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
