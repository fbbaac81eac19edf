"""A small GitHub REST client on the standard library, for CI and for runs by hand.

Settings from the environment GitHub Actions provides: GITHUB_API_URL (default
https://api.github.com), GITHUB_TOKEN and GITHUB_REPOSITORY (else the `origin` remote's).

Retries, four attempts at most and GITHUB_API_MAX_WAIT seconds of waiting in all (default
120): rate limits (429, or 403 with `x-ratelimit-remaining: 0` or a secondary-rate-limit
message) after the wait the server asks for (`Retry-After`, else `x-ratelimit-reset`);
server errors (5xx) and dropped connections after GITHUB_API_RETRY_DELAY seconds (default 2),
twice as long each time. A POST is not sent again after a 5xx or a dropped connection, as it
may have been applied: the error says so (``unknown``); the caller looks before creating again.

A body cut short is asked for again like a dropped connection; non-JSON (a portal's HTML),
redirect loops, an API call redirected off its host, and pages that repeat or pass MAX_PAGES
are errors (answers.py, urls.py). The token never goes on to a redirect or another host, and
messages mask it and any credential in a URL (`***`).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from mlops_kit.github import urls
from mlops_kit.github.answers import body_of, decode, describe, retry_wait

ATTEMPTS = 4
MAX_PAGES = 100  # of a list: 10,000 items at per_page=100
IDEMPOTENT = {"GET", "HEAD", "PUT", "PATCH", "DELETE"}
SHA = re.compile(r"[0-9a-f]{40}")  # a full commit id, as GitHub and git write it
NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
REMOTE_URL = re.compile(r"github\.com[:/](?P<owner>[^/:]+)/(?P<name>[^/]+?)(?:\.git)?/?$")


class GitHubError(Exception):
    """A request that failed; ``status`` is the HTTP status, None when no answer came;
    ``unknown``: a write whose effect is unknown (its reply was lost or was a 5xx)."""

    def __init__(self, status: int | None, message: str, unknown: bool = False):
        super().__init__(urls.mask(message))
        self.status, self.unknown = status, unknown


def repo_from_git(remote: str = "origin") -> str | None:
    """owner/name parsed from the URL of a git remote on github.com."""
    result = subprocess.run(
        ["git", "remote", "get-url", remote], capture_output=True, text=True, check=False
    )
    match = REMOTE_URL.search(result.stdout.strip()) if result.returncode == 0 else None
    return f"{match['owner']}/{match['name']}" if match else None


class GitHub:
    """Calls to one repository's REST API."""

    def __init__(self, token: str | None = None, repo: str | None = None, api: str | None = None):
        env = os.environ
        self.token = token if token is not None else env.get("GITHUB_TOKEN") or None
        self.repo = repo or env.get("GITHUB_REPOSITORY") or repo_from_git()
        if not self.repo:
            raise GitHubError(None, "set GITHUB_REPOSITORY=owner/name (no github.com origin)")
        root = api or env.get("GITHUB_API_URL") or urls.DEFAULT
        self.api = urls.api_root(root, lambda message: GitHubError(None, message))
        self.delay = float(env.get("GITHUB_API_RETRY_DELAY") or 2)
        self.max_wait = float(env.get("GITHUB_API_MAX_WAIT") or 120)

    def url(self, path: str) -> str:
        """An absolute URL: ``path`` is relative to the API root unless it has a scheme."""
        return path if "://" in path else f"{self.api}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        data: bytes | None = None,
        accept: str = "application/vnd.github+json",
        content_type: str = "application/json",
        raw: bool = False,
    ) -> tuple[Any, Any]:
        """(decoded JSON body, or bytes when ``raw``; response headers). Raises GitHubError."""
        if body is not None:
            data = json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.url(path), data=data, method=method)
        request.add_header("Accept", accept)
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        request.add_header("User-Agent", "mlops-pipeline")
        if data is not None:
            request.add_header("Content-Type", content_type)
        if self.token:  # not sent on to redirects (asset downloads go to a storage host)
            request.add_unredirected_header("Authorization", f"Bearer {self.token}")
        waited, start = 0.0, f"{method} {request.full_url}"
        for attempt in range(1, ATTEMPTS + 1):
            backoff = self.delay * 2 ** (attempt - 1)
            # redirects: to another host only for a download (raw), never with the token
            redirects = urls.Redirects(raw, lambda code, text: self.error(code, text))
            try:
                with urllib.request.build_opener(redirects).open(request, timeout=60) as response:
                    status, headers = response.status, response.headers
                    payload = response.read()
                break
            except urllib.error.HTTPError as exc:
                status, text = exc.code, body_of(exc)
                message = f"{start}: {describe(status, text, exc.headers.get('Content-Type'))}"
                wait = retry_wait(status, exc.headers, text, backoff)
                if wait is None or (status >= 500 and method not in IDEMPOTENT):
                    raise self.error(status, message, unknown=status >= 500) from None
            except http.client.IncompleteRead as exc:
                status, wait = None, backoff
                got, more = len(exc.partial), exc.expected
                message = f"{start}: the answer was cut short ({got} bytes, {more} more expected)"
                if method not in IDEMPOTENT:
                    raise self.error(None, f"{message} (no reply)", unknown=True) from None
            except (OSError, http.client.HTTPException) as exc:
                status, wait = None, backoff
                message = f"{start}: {getattr(exc, 'reason', exc)}"
                if method not in IDEMPOTENT:
                    raise self.error(None, f"{message} (no reply)", unknown=True) from None
            if attempt == ATTEMPTS or waited + wait > self.max_wait:
                if waited + wait > self.max_wait:
                    message += (
                        f" (GitHub asks to wait {wait:.0f} s more; GITHUB_API_MAX_WAIT is "
                        f"{self.max_wait:.0f} s: run again later)"
                    )
                raise self.error(status, message) from None
            time.sleep(wait)
            waited += wait
        ctype = headers.get("Content-Type")
        if raw:  # any bytes, but not a portal's page in place of the file
            if "html" in (ctype or "").lower() and "html" not in accept:
                raise self.error(status, f"{start}: answered an HTML page, not the file")
            return payload, headers
        value, problem = decode(payload, ctype)
        if problem:
            raise self.error(status, f"{start}: {problem}")
        return value, headers

    def error(self, status: int | None, message: str, unknown: bool = False) -> GitHubError:
        """A GitHubError whose message shows neither the token nor a URL's credentials."""
        return GitHubError(status, urls.mask(message, self.token), unknown)

    def get(self, path: str) -> Any:
        return self.request("GET", path)[0]

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body)[0]

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, body)[0]

    def delete(self, path: str) -> None:
        """Delete; one already gone (404, as after a lost reply) counts as deleted."""
        try:
            self.request("DELETE", path)
        except GitHubError as exc:
            if exc.status != 404:
                raise

    def paginate(self, path: str) -> list[Any]:
        """Every item of a list endpoint, following `Link: <...>; rel="next"` headers: on the
        API's host only, each page once, MAX_PAGES pages at most."""
        items: list[Any] = []
        url, seen = self.url(path), set()
        while url:
            problem = urls.next_page_problem(url, seen, self.api, MAX_PAGES)
            if problem:
                raise self.error(None, f"GET {self.url(path)}: {problem}; not asking for it")
            seen.add(url)
            page, headers = self.request("GET", url)
            if not isinstance(page, list | type(None)):
                raise self.error(None, f"GET {url}: answered {type(page).__name__}, not a list")
            items.extend(page or [])
            found = NEXT_LINK.search(headers.get("Link") or "")
            url = self.url(found.group(1)) if found else None
        return items

    def upload_asset(self, release: dict[str, Any], name: str, data: bytes) -> Any:
        """Attach ``data`` to a release as the file ``name`` (POST to its upload_url)."""
        base = re.sub(r"\{[^}]*\}$", "", release["upload_url"])
        url = f"{base}?name={urllib.parse.quote(name)}"
        return self.request("POST", url, data=data, content_type="application/octet-stream")[0]

    def download_asset(self, asset_id: int) -> bytes:
        """The bytes of a release asset (the API redirects to the storage host)."""
        path = f"/repos/{self.repo}/releases/assets/{asset_id}"
        return self.request("GET", path, accept="application/octet-stream", raw=True)[0]
