"""What an answer from GitHub's API means: when to ask again, an error's one-line message, and
a body checked before it is read as JSON (a captive portal answers 200 with an HTML page)."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
from typing import Any

DETAIL = 80  # characters of an answer's text quoted in a message


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


def is_html(content_type: str | None, text: str | bytes) -> bool:
    start = text[:64].lstrip().lower()
    return "text/html" in (content_type or "").lower() or start.startswith(
        (b"<!doctype", b"<html") if isinstance(start, bytes) else ("<!doctype", "<html")
    )


def describe(status: int, text: str, content_type: str | None = None) -> str:
    """`HTTP <status> <GitHub's message>`, its text cut short (an HTML page only named)."""
    if is_html(content_type, text):
        return f"HTTP {status} (an HTML page, not GitHub's JSON: a proxy or captive portal?)"
    try:
        detail = json.loads(text).get("message") or text
    except (ValueError, AttributeError):
        detail = text
    detail = " ".join(str(detail).split())
    return f"HTTP {status} {detail[:DETAIL]}{'...' if len(detail) > DETAIL else ''}"


def decode(payload: bytes, content_type: str | None) -> tuple[Any, str | None]:
    """(the JSON value of ``payload``, None), or (None, why it is not GitHub's JSON)."""
    if is_html(content_type, payload):
        return None, "answered an HTML page, not GitHub's JSON (a proxy or captive portal?)"
    if not payload.strip():
        return None, None
    try:
        return json.loads(payload), None
    except ValueError:
        shown = (content_type or "no Content-Type")[:40]
        return None, f"answered something that is not JSON ({shown}, {len(payload)} bytes)"


def body_of(error: urllib.error.HTTPError) -> str:
    """An error answer's text; what arrived of it when it was cut short."""
    try:
        return error.read().decode("utf-8", "replace")
    except http.client.IncompleteRead as exc:
        return exc.partial.decode("utf-8", "replace")
    except OSError:
        return ""
