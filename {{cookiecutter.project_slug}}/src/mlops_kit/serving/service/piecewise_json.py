"""JSON read an outer item at a time, so that other threads run between items.

json.loads of a 20 MB body is one call that holds the interpreter for about 0.25 s: the event
loop's thread, answering /health, waits that long. ``loads`` reads the outer object a member at
a time and the arrays inside it an item at a time, each item whole by json's own decoder, and
gives what json.loads gives (the same errors too, as json.JSONDecodeError), about 1.5 times
slower.
"""

from __future__ import annotations

import json
import re
from typing import Any

_decoder, _space = json.JSONDecoder(), re.compile(r"[ \t\n\r]*")


def loads(text: str) -> Any:
    """The JSON value of ``text``, its outer object and the arrays in it read piecewise."""
    found, end = _value(text, 0, 2)
    if (end := _space.match(text, end).end()) != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return found


def _value(text: str, at: int, depth: int) -> tuple[Any, int]:
    """(the JSON value at ``at``, where it ends). At ``depth`` above 0 an object is read a
    member at a time and an array an item at a time, each item whole (json's own decoder)."""
    at = _space.match(text, at).end()
    opening = text[at : at + 1]
    if depth == 0 or opening not in ("{", "["):
        return _decoder.raw_decode(text, at)
    closing, found = ("}", {}) if opening == "{" else ("]", [])
    at = _space.match(text, at + 1).end()
    if text[at : at + 1] == closing:
        return found, at + 1
    while True:
        if opening == "[":
            item, at = _value(text, at, 0)
            found.append(item)
        elif text[at : at + 1] == '"':
            key, at = json.decoder.scanstring(text, at + 1)
            at = _space.match(text, at).end()
            if text[at : at + 1] != ":":
                raise json.JSONDecodeError("Expecting ':' delimiter", text, at)
            found[key], at = _value(text, at + 1, depth - 1)
        else:
            raise json.JSONDecodeError("Expecting property name in double quotes", text, at)
        at = _space.match(text, at).end()
        if text[at : at + 1] == closing:
            return found, at + 1
        if text[at : at + 1] != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", text, at)
        at = _space.match(text, at + 1).end()
