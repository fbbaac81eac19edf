"""Make text from data, parameters, metrics or the event inert in GitHub Markdown.

A column, parameter or metric name is anybody's text: in a comment it must not become an
image, a link, HTML or a @mention, nor break the table it sits in. Names and values go in
code spans (`code`), where GitHub renders nothing; sentences that quote such text go
through `plain`. The same text in a workflow command's message (`::error::...`) goes
through `annotation`. Standard library only: the comment job runs it without installing.
"""

from __future__ import annotations

import re

WIDTH = 60
CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
BACKSLASHES_BEFORE_PIPE = re.compile(r"\\+(?=\|)")
PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>#+!|~=^\"'$&:-])")
JOINER = "\u2060"  # WORD JOINER: invisible, yet no mention, autolink or entity spans it


def one_line(text: object, width: int = WIDTH) -> str:
    """``text`` as one line of at most ``width`` characters (line breaks become spaces)."""
    flat = " ".join(CONTROL.sub(" ", str(text)).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def code(text: object, width: int = WIDTH) -> str:
    """A code span that shows ``text`` literally, safe inside a table cell."""
    body = one_line(text, width)
    # In a table a pipe ends the cell unless escaped, even inside a code span; a backslash
    # just before it would escape the escape, so it is shown as a look-alike instead.
    body = BACKSLASHES_BEFORE_PIPE.sub(lambda m: "⧵" * len(m.group()), body).replace("|", "\\|")
    runs = [len(run) for run in re.findall(r"`+", body)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or not body.strip() else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def plain(text: object, width: int = 300) -> str:
    """``text`` as plain words: every Markdown character escaped, mentions, autolinks
    and HTML entities broken by an invisible joiner."""
    flat = PUNCTUATION.sub(r"\\\1", one_line(text, width))
    flat = re.sub(r"@(?=\w)", "@" + JOINER, flat)
    flat = re.sub(r"(?i)(www)\.", r"\1" + JOINER + ".", flat)
    return re.sub(r"\\:(?=//)", "\\:" + JOINER, flat)


def annotation(text: object, width: int = 200) -> str:
    """``text`` fit for the message of a workflow command (``::error::<message>``): one line,
    so that it can start no command of its own, and `%` encoded as GitHub decodes it."""
    return one_line(text, width).replace("%", "%25")
