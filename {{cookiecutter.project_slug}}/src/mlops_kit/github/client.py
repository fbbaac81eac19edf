"""A small GitHub REST client on the standard library, for CI and for runs by hand.

Settings come from the environment GitHub Actions provides: GITHUB_API_URL (default
https://api.github.com), GITHUB_TOKEN and GITHUB_REPOSITORY (else taken from the `origin`
remote).

Retries, four attempts at most and GITHUB_API_MAX_WAIT seconds of waiting in all (default
120): rate limits (429, or 403 with `x-ratelimit-remaining: 0` or a secondary-rate-limit
message) after the wait the server asks for (`Retry-After`, else `x-ratelimit-reset`);
server errors (5xx) and dropped connections after GITHUB_API_RETRY_DELAY seconds (default 2),
twice as long each time. A POST is not sent again after a 5xx or a dropped connection, as it
may have been applied: the error says so (``unknown``), and the caller looks before creating
again (releasing.create_once).
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

ATTEMPTS = 4
IDEMPOTENT = {"GET", "HEAD", "PUT", "PATCH", "DELETE"}
SHA = re.compile(r"[0-9a-f]{40}")  # a full commit id, as GitHub and git write it
NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
REMOTE_URL = re.compile(r"github\.com[:/](?P<owner>[^/:]+)/(?P<name>[^/]+?)(?:\.git)?/?$")


class GitHubError(Exception):
    """A request that failed; ``status`` is the HTTP status, None when no answer came;
    ``unknown``: a write whose effect is unknown (its reply was lost or was a 5xx)."""

    def __init__(self, status: int | None, message: str, unknown: bool = False):
        super().__init__(message)
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
        self.api = (api or env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/")
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
        waited = 0.0
        for attempt in range(1, ATTEMPTS + 1):
            backoff = self.delay * 2 ** (attempt - 1)
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    payload = response.read()
                    headers = response.headers
                break
            except urllib.error.HTTPError as exc:
                status, text = exc.code, exc.read().decode("utf-8", "replace")
                message = _message(method, request, status, text)
                wait = retry_wait(status, exc.headers, text, backoff)
                if wait is None or (status >= 500 and method not in IDEMPOTENT):
                    raise GitHubError(status, message, unknown=status >= 500) from None
            except (OSError, http.client.HTTPException) as exc:
                status, wait = None, backoff
                message = f"{method} {request.full_url}: {getattr(exc, 'reason', exc)}"
                if method not in IDEMPOTENT:
                    raise GitHubError(None, f"{message} (no reply)", unknown=True) from None
            if attempt == ATTEMPTS or waited + wait > self.max_wait:
                if waited + wait > self.max_wait:
                    message += (
                        f" (GitHub asks to wait {wait:.0f} s more; GITHUB_API_MAX_WAIT is "
                        f"{self.max_wait:.0f} s: run again later)"
                    )
                raise GitHubError(status, message) from None
            time.sleep(wait)
            waited += wait
        if raw:
            return payload, headers
        return (json.loads(payload) if payload.strip() else None), headers

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
        """Every item of a list endpoint, following `Link: <...>; rel="next"` headers."""
        items: list[Any] = []
        url: str | None = path
        while url:
            page, headers = self.request("GET", url)
            items.extend(page or [])
            found = NEXT_LINK.search(headers.get("Link") or "")
            url = found.group(1) if found else None
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


def retry_wait(status: int, headers: Any, text: str, backoff: float) -> float | None:
    """Seconds to wait before trying again, or None when this answer is final."""
    limited = status == 429 or (
        status == 403
        and (headers.get("x-ratelimit-remaining") == "0" or "secondary rate limit" in text.lower())
    )
    if limited:
        after, reset = headers.get("Retry-After"), headers.get("x-ratelimit-reset")
        if after and after.strip().isdigit():
            return float(after)
        if headers.get("x-ratelimit-remaining") == "0" and reset and reset.strip().isdigit():
            return max(0.0, float(reset) - time.time()) + 1
        return 30 * backoff  # GitHub: wait a minute when it names no time
    return backoff if status >= 500 else None


def _message(method: str, request: urllib.request.Request, status: int, text: str) -> str:
    try:
        detail = json.loads(text).get("message") or text
    except (ValueError, AttributeError):
        detail = text
    return f"{method} {request.full_url}: HTTP {status} {' '.join(str(detail).split())[:200]}"
