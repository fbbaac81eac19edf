"""Check every answer before a single file is written.

Every bad answer gets one line naming the question, the value and what is
allowed, all in one run; then exit status 1, and cookiecutter removes the
half-made directory.
"""

from __future__ import annotations

import csv
import json
import keyword
import os
import re
import sys
from collections.abc import Callable
from email.errors import MessageError
from email.headerregistry import Address
from email.utils import getaddresses
from pathlib import Path

# The answers, injected once; everything below is plain Python.
ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""

SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")
DATASETS = ("breast_cancer", "wine", "diabetes", "custom")
TASKS = ("classification", "regression")
REMOTES = ("local", "s3", "gcs", "azure", "ssh", "none")
LICENSES = ("MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary")
COMPUTES = ("local", "spark")
DATA_SUFFIXES = (".csv", ".parquet")

# Import names a project package must not take: the libraries it depends on
# (so `import pandas` keeps meaning pandas) and names too generic to import.
RESERVED_PACKAGES = frozenset(
    {
        "dvc",
        "mlops_kit",  # the template's kit, beside the project's package in src/
        "fastapi",
        "uvicorn",
        "fairlearn",
        "great_expectations",
        "gx",
        "joblib",
        "numpy",
        "pandas",
        "pyarrow",
        "pyspark",
        "joblibspark",
        "pytest",
        "scipy",
        "sklearn",
        "yaml",
        "src",
        "test",
        "tests",
        "lib",
        "app",
        "main",
        "data",
        "model",
        "models",
        "utils",
        "common",
        "package",
    }
)
# Modules of the standard library that a package name must not shadow either.
RESERVED_PACKAGES |= frozenset(getattr(sys, "stdlib_module_names", ()))

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
GITHUB_OWNER_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
REMOTE_URL_RES = {
    "s3": (re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/\S*)?$"), "s3://bucket/path"),
    "gcs": (re.compile(r"^gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](/\S*)?$"), "gs://bucket/path"),
    "azure": (
        re.compile(r"^azure://[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}(/\S*)?$"),
        "azure://container/path",
    ),
    "ssh": (
        re.compile(r"^ssh://([^@/\s]+@)?[A-Za-z0-9.-]+(:\d{1,5})?/\S+$"),
        "ssh://[user@]host[:port]/path",
    ),
}


# Characters that end a line for Python's str.splitlines(), and so for the
# metadata, TOML and YAML readers a name ends up in.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


class AnswerError(ValueError):
    """A template answer that cannot produce a working project."""

    def __init__(self, question: str, value: object, allowed: str) -> None:
        super().__init__(f"{question}={value!r} is not valid: {allowed}")


def mask_url(url: str) -> str:
    """The URL with the password of its user-info, if any, shown as ***."""
    if "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    userinfo, at, host = rest.partition("@")
    if not at or "/" in userinfo or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"


def check_one_line(question: str, value: str) -> None:
    """Names that go into the package metadata, pyproject.toml and the README."""
    if LINE_BREAKS & set(value):
        raise AnswerError(question, value, "it must fit on one line; remove the line break")


def check_not_an_option(question: str, value: str) -> None:
    """An answer passed to a command must not be taken for one of its options."""
    if value.startswith("-"):
        raise AnswerError(
            question, value, "it must not start with '-' (commands read it as an option)"
        )


def check_project_name(name: str) -> None:
    if not name.strip():
        raise AnswerError("project_name", name, "give the project a name")
    check_one_line("project_name", name)


def check_slug(slug: str) -> None:
    if not SLUG_RE.fullmatch(slug) or slug in {".", ".."}:
        raise AnswerError(
            "project_slug",
            slug,
            "use lowercase letters, digits, '-', '_' or '.', starting with a letter or digit",
        )


def check_package_name(name: str) -> None:
    if not name.isidentifier() or not name.isascii():
        raise AnswerError(
            "package_name",
            name,
            "use an ASCII Python identifier: letters, digits and '_', not starting with a digit",
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise AnswerError("package_name", name, "a Python keyword cannot be a package name")
    if name.lower() in RESERVED_PACKAGES:
        raise AnswerError(
            "package_name",
            name,
            "it would shadow a dependency or standard module, or is too generic; "
            "name the package after the project",
        )


def metadata_address(name: str, email: str) -> str:
    """`Name <email>` as hatchling writes it into the package metadata (Author-email),
    checked to read back as exactly what was given; ValueError when it cannot be."""
    try:
        rendered = str(Address(display_name=name, addr_spec=email))
    except (ValueError, MessageError, IndexError) as exc:
        raise ValueError(str(exc)) from exc
    if getaddresses([rendered]) != [(name, email)]:
        raise ValueError(f"it reads back as {getaddresses([rendered])}")
    return rendered


def check_author_name(name: str) -> None:
    check_one_line("author_name", name)
    try:
        metadata_address(name, "name@example.com")
    except ValueError as exc:
        raise AnswerError(
            "author_name", name, f"the package metadata cannot hold it ({exc})"
        ) from exc


def check_email(email: str) -> None:
    try:
        if not EMAIL_RE.fullmatch(email):
            raise ValueError("no match")
        metadata_address("", email)
    except ValueError as exc:
        raise AnswerError("author_email", email, "use an address like name@example.com") from exc


def check_github_owner(owner: str) -> None:
    if not GITHUB_OWNER_RE.fullmatch(owner):
        raise AnswerError(
            "github_owner",
            owner,
            "use a GitHub user or organisation name (letters, digits, single '-')",
        )


def check_choice(question: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise AnswerError(question, value, "choose one of " + ", ".join(allowed))


def read_columns(path: Path) -> list[str]:
    """Column names of a CSV (standard library) or Parquet file (pyarrow or pandas)."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return next(csv.reader(handle), [])
    try:
        import pyarrow.parquet as pq
    except ImportError:
        try:
            import pandas as pd

            return [str(c) for c in pd.read_parquet(path).columns]
        except ImportError as exc:  # no pandas, or pandas without a Parquet engine
            raise AnswerError(
                "custom_data_path",
                str(path),
                "reading Parquet needs pyarrow beside cookiecutter (pip install pyarrow)",
            ) from exc
    return list(pq.read_schema(path).names)


def user_path(text: str) -> Path:
    """A path as the user typed it: relative to the folder cookiecutter was started
    from ($PWD), not to the new project, where hooks run."""
    path = Path(text).expanduser()
    pwd = os.environ.get("PWD")
    return path if path.is_absolute() or not pwd else Path(pwd) / path


def check_custom_data(path_text: str, target: str) -> None:
    if not path_text.strip():
        raise AnswerError(
            "custom_data_path", path_text, "dataset=custom needs the path to a CSV or Parquet file"
        )
    path = user_path(path_text)
    if not path.is_file():
        raise AnswerError("custom_data_path", path_text, "no such file; give an existing file")
    if path.suffix.lower() not in DATA_SUFFIXES:
        raise AnswerError("custom_data_path", path_text, "use a .csv or .parquet file")
    try:
        columns = read_columns(path)
    except AnswerError:
        raise
    except Exception as exc:  # an unreadable file is an answer error, not a crash
        raise AnswerError("custom_data_path", path_text, f"cannot read it ({exc})") from exc
    if not columns:
        raise AnswerError("custom_data_path", path_text, f"{path.name} is empty (no header)")
    if target not in columns:
        shown = ", ".join(columns[:20]) + (", ..." if len(columns) > 20 else "")
        raise AnswerError("custom_target", target, f"the columns of {path.name} are: {shown}")
    if len(columns) < 2:
        raise AnswerError(
            "custom_data_path", path_text, "the file needs features besides the target"
        )


def check_custom_slices(text: str, dataset: str, path_text: str, target: str) -> None:
    """custom_slices: comma-separated columns of the custom file, none of them the target."""
    names = [name.strip() for name in text.split(",")] if text.strip() else []
    if names and dataset != "custom":
        raise AnswerError(
            "custom_slices",
            text,
            "only dataset=custom takes it; leave it empty (diabetes "
            "slices by sex; edit evaluate.slices in params.yaml for the others)",
        )
    if not names:
        return
    if "" in names or len(set(names)) < len(names):
        raise AnswerError("custom_slices", text, "give distinct column names separated by ','")
    check_one_line("custom_slices", text)
    try:
        columns = read_columns(user_path(path_text))
    except Exception:  # an unreadable file is reported by check_custom_data
        return
    unknown = [name for name in names if name not in columns]
    if unknown:
        shown = ", ".join(columns[:20]) + (", ..." if len(columns) > 20 else "")
        raise AnswerError(
            "custom_slices", text, f"{unknown[0]!r} is not a column; they are: {shown}"
        )
    if target in names:
        raise AnswerError("custom_slices", text, f"{target!r} is the target; slice by features")


def check_segment_by(column: str, dataset: str, path_text: str, target: str, slices: str) -> None:
    """segment_by: one column of the custom file, not the target nor a slice column."""
    if not column:
        return
    if dataset != "custom":
        raise AnswerError(
            "segment_by",
            column,
            "only dataset=custom takes it (the bundled datasets have no column to train "
            "one model per value of); leave it empty",
        )
    check_one_line("segment_by", column)
    if column != column.strip():
        raise AnswerError("segment_by", column, "give the column's name without spaces around it")
    try:
        columns = read_columns(user_path(path_text))
    except Exception:  # an unreadable file is reported by check_custom_data
        return
    if column not in columns:
        shown = ", ".join(columns[:20]) + (", ..." if len(columns) > 20 else "")
        raise AnswerError("segment_by", column, f"not a column; they are: {shown}")
    if column == target:
        raise AnswerError("segment_by", column, "that is the target; choose the column of segments")
    if column in [name.strip() for name in slices.split(",")]:
        raise AnswerError(
            "segment_by",
            column,
            "it is also in custom_slices; each model sees one of its values only, so slice by "
            "other columns",
        )
    if len([c for c in columns if c not in (column, target)]) < 1:
        raise AnswerError("segment_by", column, "the file needs features besides it and the target")


def check_suite_bootstrap() -> None:
    """The expectation suite for a custom file is written from it with pandas, which reads and
    writes Parquet with pyarrow."""
    for package in ("pandas", "pyarrow"):
        try:
            __import__(package)
        except ImportError as exc:
            raise AnswerError(
                "dataset",
                "custom",
                f"writing the expectation suite from your file needs {package} beside "
                "cookiecutter (pip install pandas pyarrow)",
            ) from exc


def check_remote(kind: str, url: str) -> None:
    check_choice("dvc_remote", kind, REMOTES)
    if kind == "none":
        return
    if mask_url(url) != url:
        raise AnswerError(
            "dvc_remote_url",
            mask_url(url),
            "a password in the URL would be committed (.dvc/config, README.md, .cruft.json); "
            "give the URL without it, then set the password with "
            "`dvc remote modify --local storage password ...` (.dvc/config.local, never "
            "committed) and in CI as a repository secret",
        )
    if LINE_BREAKS & set(url) or url != url.strip():
        raise AnswerError("dvc_remote_url", url, "give it on one line, without spaces around it")
    check_not_an_option("dvc_remote_url", url)
    if kind == "local":
        if not url.strip() or "://" in url:
            raise AnswerError("dvc_remote_url", url, "dvc_remote=local needs a folder path")
        return
    pattern, example = REMOTE_URL_RES[kind]
    if not pattern.fullmatch(url):
        raise AnswerError("dvc_remote_url", url, f"dvc_remote={kind} needs a URL like {example}")


def check_output_dir(project_dir: Path) -> None:
    """Refuse to generate over an earlier project (cookiecutter --overwrite-if-exists)."""
    for marker in (".git", ".dvc", ".cruft.json"):
        if (project_dir / marker).exists():
            raise AnswerError(
                "project_slug",
                project_dir.name,
                f"{project_dir} already holds a project ({marker} exists); "
                "choose another name or output folder, or use `cruft update` inside it",
            )


Check = tuple[Callable[..., None], tuple]


def checks(answers: dict, project_dir: Path) -> list[Check]:
    """Each check with its arguments, in the order cookiecutter asks the questions."""
    custom: list[Check] = [
        (check_custom_data, (answers["custom_data_path"], answers["custom_target"])),
        (check_choice, ("custom_task", answers["custom_task"], TASKS)),
        (check_suite_bootstrap, ()),
    ]
    slices = answers.get("custom_slices", "")
    slices_check: Check = (
        check_custom_slices,
        (slices, answers["dataset"], answers["custom_data_path"], answers["custom_target"]),
    )
    segments: Check = (
        check_segment_by,
        (
            answers.get("segment_by", ""),
            answers["dataset"],
            answers["custom_data_path"],
            answers["custom_target"],
            slices,
        ),
    )
    return [
        (check_choice, ("dataset", answers["dataset"], DATASETS)),
        *(custom if answers["dataset"] == "custom" else []),
        slices_check,
        segments,
        (check_project_name, (answers["project_name"],)),
        (check_slug, (answers["project_slug"],)),
        (check_package_name, (answers["package_name"],)),
        (check_one_line, ("description", answers["description"])),
        (check_author_name, (answers["author_name"],)),
        (check_email, (answers["author_email"],)),
        (check_github_owner, (answers["github_owner"],)),
        (check_choice, ("python_version", answers["python_version"], SUPPORTED_PYTHONS)),
        (check_remote, (answers["dvc_remote"], answers["dvc_remote_url"])),
        (check_choice, ("license", answers["license"], LICENSES)),
        (check_choice, ("compute", answers["compute"], COMPUTES)),
        (check_output_dir, (project_dir,)),
    ]


def answer_problems(answers: dict, project_dir: Path) -> list[AnswerError]:
    """Every bad answer, not only the first, so that one run shows all there is to fix."""
    problems = []
    for check, args in checks(answers, project_dir):
        try:
            check(*args)
        except AnswerError as problem:
            problems.append(problem)
    return problems


def main(answers: dict, project_dir: Path) -> int:
    problems = answer_problems(answers, project_dir)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(json.loads(ANSWERS_JSON), Path.cwd()))
