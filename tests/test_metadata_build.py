"""The author answers the pre-generation hook accepts are the ones the generated project's
real build (uv build, with hatchling) turns into package metadata that reads back unchanged;
the ones it refuses break that build, or come out of it altered."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from email.parser import HeaderParser
from email.utils import getaddresses
from pathlib import Path

import pytest
from conftest import BIN, bake, isolated_env
from test_hooks import DEFAULTS, pre

ACCEPTED = {
    "plain": ("Data Team", "data-team@example.com"),
    "quotes-backslash-accents": ('Seán O\'Brien "Bob" \\ Ñoño', "first.last+tag@example.co.uk"),
    "comma-and-brackets-in-name": ("Smith, Jo <jo>", "jo@sub.example.org"),
}
# Refused by the hook; hatchling stops on each ("Invalid addr_spec", "cannot contain CR or LF").
BREAKS_THE_BUILD = {
    "trailing-bracket": ("Data Team", "x@y.z>"),
    "two-addresses": ("Data Team", "a,b@c.d"),
    "newline-in-name": ("Data\nTeam", "data-team@example.com"),
    "non-ascii-local-part": ("Data Team", "josé@example.com"),
}
# Refused by the hook; hatchling builds, but the metadata says something else.
ALTERED_BY_THE_BUILD = {
    "comment-in-address": ("Data Team", "(team)a@b.cd"),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("metadata")
    result = bake(out / "out", env=isolated_env(out / "home"))
    assert result.returncode == 0, result.stderr
    return result.project


def build_with_author(project: Path, name: str, email: str, out: Path):
    """Write the author into pyproject.toml as the template does, then `uv build --wheel`."""
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    # A JSON string is a valid TOML basic string, escapes included.
    author = f"authors = [{{ name = {json.dumps(name)}, email = {json.dumps(email)} }}]"
    pyproject.write_text(re.sub(r"(?m)^authors = .*$", lambda _: author, text), encoding="utf-8")
    return subprocess.run(
        [BIN / "uv", "build", "--wheel", "--out-dir", out],
        cwd=project,
        env=isolated_env(project.parent.parent / "home"),
        capture_output=True,
        text=True,
    )


def author_email_of(wheel_dir: Path) -> str:
    (wheel,) = wheel_dir.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = HeaderParser().parsestr(archive.read(name).decode("utf-8"))
    return metadata["Author-email"]


def hook_problems(name: str, email: str, tmp_path: Path) -> list[str]:
    answers = {**DEFAULTS, "author_name": name, "author_email": email}
    return [str(p) for p in pre.answer_problems(answers, tmp_path / "new")]


@pytest.mark.parametrize("case", list(ACCEPTED), ids=str)
def test_accepted_authors_build_and_read_back_unchanged(project, tmp_path, case):
    name, email = ACCEPTED[case]
    assert hook_problems(name, email, tmp_path) == []
    build = build_with_author(project, name, email, tmp_path / "dist")
    assert build.returncode == 0, build.stderr
    assert getaddresses([author_email_of(tmp_path / "dist")]) == [(name, email)]


@pytest.mark.parametrize("case", list(BREAKS_THE_BUILD), ids=str)
def test_refused_authors_are_those_that_break_the_build(project, tmp_path, case):
    name, email = BREAKS_THE_BUILD[case]
    (problem,) = hook_problems(name, email, tmp_path)
    assert problem.startswith(("author_name=", "author_email="))
    build = build_with_author(project, name, email, tmp_path / "dist")
    assert build.returncode != 0, "hatchling built it: the hook refuses too much"
    reasons = ("Invalid addr_spec", "cannot contain CR or LF", "non-ASCII")
    assert any(reason in build.stdout + build.stderr for reason in reasons), build.stderr


@pytest.mark.parametrize("case", list(ALTERED_BY_THE_BUILD), ids=str)
def test_refused_authors_that_the_build_would_alter(project, tmp_path, case):
    name, email = ALTERED_BY_THE_BUILD[case]
    (problem,) = hook_problems(name, email, tmp_path)
    assert problem.startswith("author_email=")
    build = build_with_author(project, name, email, tmp_path / "dist")
    assert build.returncode == 0, build.stderr
    assert getaddresses([author_email_of(tmp_path / "dist")]) != [(name, email)]
