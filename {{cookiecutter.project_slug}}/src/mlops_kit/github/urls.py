"""The URLs a GitHub request may go to, and URLs in messages with their credentials masked.

- ``mask``: a credential in a URL (`https://user:token@host`, `?access_token=...`, a signed
  storage URL's signature) becomes `***` in any text, so that no message repeats it.
- ``api_root``: GITHUB_API_URL checked: http(s), a host, no credential, query or fragment.
- ``next_page_problem``: why a list's next page is not asked for (repeated, too many, elsewhere).
- ``Redirects``: the redirects one request follows: at most MAX_REDIRECTS, over http(s) and
  never from https down to http; to another host only when ``other_hosts`` (asset downloads,
  which GitHub sends to its storage host). The Authorization header is never sent on (the
  client adds it with ``add_unredirected_header``).
"""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

DEFAULT = "https://api.github.com"
MAX_REDIRECTS = 5
USERINFO = re.compile(r"(?<=://)[^/?#@\s]+@")
SECRET_QUERY = re.compile(
    r"(?i)([?&;][\w.-]*(?:token|secret|signature|sig|key|credential|password|auth)[\w.-]*=)"
    r"[^&;#\s]*"
)


def mask(text: str, *secrets: str | None) -> str:
    """``text`` with URL credentials and each of ``secrets`` replaced by `***`."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return SECRET_QUERY.sub(r"\1***", USERINFO.sub("***@", text))


def origin(url: str) -> tuple[str, str]:
    """(scheme, host[:port]) of a URL, in lower case."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "") + (f":{parts.port}" if parts.port else "")


def api_root(url: str, error: Callable[[str], Exception]) -> str:
    """``url`` (GITHUB_API_URL) without its trailing slash, once checked; else ``error``."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        raise error(f"GITHUB_API_URL {mask(url)[:80]!r} is not a URL") from None
    if parts.username is not None or parts.password is not None or parts.query:
        raise error(
            f"GITHUB_API_URL {mask(url)[:80]!r} holds a credential or a query; give the bare "
            "API address (https://api.github.com) and the token in GITHUB_TOKEN"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
        raise error(f"GITHUB_API_URL {mask(url)[:80]!r}: give an http(s) address like {DEFAULT}")
    return url.rstrip("/")


class Redirects(urllib.request.HTTPRedirectHandler):
    """Follows a request's redirects within the rules above; ``error(status, message)``
    makes the exception raised for one it refuses."""

    max_repeats = max_redirections = MAX_REDIRECTS * 2  # our own count stops first

    def __init__(self, other_hosts: bool, error: Callable[[int, str], Exception]):
        super().__init__()
        self.other_hosts, self.error, self.count = other_hosts, error, 0

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        self.count += 1
        start = f"{req.get_method()} {mask(req.full_url)}"
        (scheme, host), (was_scheme, was_host) = origin(newurl), origin(req.full_url)
        problem = None
        if self.count > MAX_REDIRECTS:
            problem = f"more than {MAX_REDIRECTS} redirects (a redirect loop?); not following"
        elif scheme not in ("http", "https") or (was_scheme == "https" and scheme != "https"):
            problem = f"redirected to a {scheme or 'relative'} URL from {was_scheme}; refused"
        elif host != was_host and not self.other_hosts:
            problem = f"redirected to another host ({host[:40]}); an API call stays on its host"
        if problem:
            fp.close()
            raise self.error(code, f"{start}: HTTP {code} {problem}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def next_page_problem(url: str, seen: set[str], api: str, limit: int) -> str | None:
    """Why a list's next page ``url`` is not asked for: read already (an API that ignores
    `page`), past ``limit`` pages, or on another host than ``api``; None when it may be."""
    if url in seen:
        return "the next page is one already read (the API ignores `page`?); stopped"
    if len(seen) == limit:
        return f"more than {limit} pages"
    if origin(url) != origin(api):
        return f"the next page is on another host ({origin(url)[1][:40]})"
    return None
