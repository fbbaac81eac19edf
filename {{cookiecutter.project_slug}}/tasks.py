"""Set up and run this project with nothing but python3 (standard library only).

    python3 tasks.py repro     # set up .venv, run the DVC pipeline, show the metrics
    python3 tasks.py test      # set up .venv, run the tests (extra arguments go to pytest)
    python3 tasks.py lint      # ruff check and format check
    python3 tasks.py ci-local [EVENT] [ACT ARGS...]   # run the GitHub workflows here, under act
    python3 tasks.py setup     # only create or refresh .venv

Uses uv when it is on PATH (fast, writes uv.lock), plain venv + pip otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"
PYTHON_VERSION = (ROOT / ".python-version").read_text(encoding="utf-8").strip()
ENV = {
    **os.environ,
    "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    "VIRTUAL_ENV": str(VENV),
    "DVC_NO_ANALYTICS": "1",
    "GX_ANALYTICS_ENABLED": "false",
}


def call(*args: str | Path) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    code = subprocess.call([str(a) for a in args], cwd=ROOT, env=ENV)
    if code:
        raise SystemExit(code)


def base_python() -> str:
    """The Python this project was generated for, else the one running this script."""
    found = shutil.which(f"python{PYTHON_VERSION}")
    if found and subprocess.call([found, "-c", ""], stderr=subprocess.DEVNULL) == 0:
        return found
    print(
        f"note: python{PYTHON_VERSION} not found; using {sys.version.split()[0]} instead",
        file=sys.stderr,
    )
    return sys.executable


def setup() -> None:
    uv = shutil.which("uv")
    if uv:
        # Compile bytecode at install, as pip does: where Python keeps no bytecode cache
        # (PYTHONDONTWRITEBYTECODE, as in many containers) each pipeline stage would
        # otherwise compile pandas, scikit-learn and Great Expectations again.
        call(uv, "sync", "--extra", "dev", "--quiet", "--compile-bytecode")
        return
    if STAMP.exists() and STAMP.stat().st_mtime >= (ROOT / "pyproject.toml").stat().st_mtime:
        return
    if not (BIN / "python").exists():
        call(base_python(), "-m", "venv", VENV)
    call(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    call(BIN / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.touch()


def repro(args: list[str]) -> None:
    setup()
    call(BIN / "dvc", "repro", *args)
    call(BIN / "dvc", "metrics", "show")
    print("Metrics: reports/metrics.json; data validation: reports/validation.md")
    print("Plots: `source .venv/bin/activate && dvc plots show`, then open dvc_plots/index.html")


def test(args: list[str]) -> None:
    setup()
    call(BIN / "python", "-m", "pytest", *args)


def lint(args: list[str]) -> None:
    setup()
    call(BIN / "ruff", "check", *args, ".")
    call(BIN / "ruff", "format", "--check", ".")


def act_stand_ins() -> list[str]:
    """`--local-repository` options replacing each pinned action that has a stand-in."""
    options = set()
    for workflow in (ROOT / ".github" / "workflows").glob("*.yml"):
        text = workflow.read_text(encoding="utf-8")
        for owner_repo, ref in re.findall(r"uses:\s*([\w.-]+/[\w.-]+)@([0-9a-f]{40})", text):
            folder = ROOT / ".github" / "act" / owner_repo.split("/")[1]
            if folder.is_dir():
                options.add(f"--local-repository={owner_repo}@{ref}={folder}")
    return sorted(options)


def ci_local(args: list[str]) -> None:
    """Run the workflows for EVENT (default: push) on this machine with act."""
    setup()
    event, extra = (args[0], args[1:]) if args and not args[0].startswith("-") else ("push", args)
    work = ROOT / ".ci-local"
    ENV.pop("VIRTUAL_ENV")  # each job makes its own environment
    call(
        BIN / "act",
        event,
        "-P",
        "ubuntu-latest=-self-hosted",
        "--no-skip-checkout",
        "--action-cache-path",
        work / "act",
        "-s",
        "GITHUB_TOKEN=local-dummy-token",
        "--env",
        f"CI_LOCAL_SOURCE={ROOT}",
        "--env",
        f"CI_LOCAL_ARTIFACTS={work / 'artifacts'}",
        *act_stand_ins(),
        *extra,
    )


COMMANDS = {
    "setup": lambda args: setup(),
    "repro": repro,
    "test": test,
    "lint": lint,
    "ci-local": ci_local,
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python3 tasks.py ({'|'.join(COMMANDS)}) [args...]", file=sys.stderr)
        return 2
    COMMANDS[argv[0]](argv[1:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
