"""Set up and run this project with nothing but python3 (standard library only).

    python3 tasks.py help      # every command, one line each

Installs with uv (https://docs.astral.sh/uv/): the `uv` on PATH, else a pinned uv that this
script installs with pip first and keeps in .venv. The versions come from uv.lock.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
UV_EXE = "uv.exe" if os.name == "nt" else "uv"
# The uv installed when none is on PATH (the release this project was generated with).
UV_PIN = "uv==0.13.9"
PYTHON_VERSION = (ROOT / ".python-version").read_text(encoding="utf-8").strip()
LOCK = ROOT / "uv.lock"
METRICS = ROOT / "reports" / "metrics.json"
VALIDATION = ROOT / "reports" / "validation.json"
BASELINE = ROOT / ".secrets.baseline"
# What the secrets scan skips, as at generation: the hashes in lock and .dvc files, and the
# template commit in .cruft.json.
SCAN_SKIPS = ("--exclude-files", r"(^|/)(uv|dvc)\.lock$|\.dvc$")
SCAN_SKIPS += ("--exclude-lines", r'^\s*"_?commit": "[0-9a-f]{40}",?$')
ENV = {
    **os.environ,
    "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    "VIRTUAL_ENV": str(VENV),
    "DVC_NO_ANALYTICS": "1",
    "GX_ANALYTICS_ENABLED": "false",
}
# A pyenv shim with PYENV_VERSION set would hide the Python that .python-version asks for.
ENV.pop("PYENV_VERSION", None)


def fail(message: str) -> SystemExit:
    print(f"error: {message}", file=sys.stderr)
    return SystemExit(1)


def call(*args: str | Path) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    code = subprocess.call([str(a) for a in args], cwd=ROOT, env=ENV)
    if code:
        raise SystemExit(code)


def quiet(*args: str | Path) -> subprocess.CompletedProcess:
    """Run a command without showing its output."""
    return subprocess.run(
        [str(a) for a in args], cwd=ROOT, env=ENV, capture_output=True, text=True, check=False
    )


def bootstrap_uv(folder: Path) -> Path:
    """Install the pinned uv with pip into a throw-away venv in ``folder``; its path."""
    print(f"uv is not on PATH: installing {UV_PIN} with pip first", flush=True)
    venv = folder / "venv"
    if quiet(sys.executable, "-m", "venv", venv).returncode:
        raise fail(
            f"`{sys.executable} -m venv` failed: install uv (https://docs.astral.sh/uv/) "
            "or Python's venv module (Debian/Ubuntu: apt install python3-venv)"
        )
    pip = quiet(venv / BIN.name / "python", "-m", "pip", "install", "--quiet", UV_PIN)
    if pip.returncode:
        last = (pip.stderr.strip().splitlines() or ["no output"])[-1]
        raise fail(f"pip could not install {UV_PIN} ({last}): install uv, or check your index")
    return venv / BIN.name / UV_EXE


def stale_venv() -> str | None:
    """The Python version of .venv (from its pyvenv.cfg) if not the one .python-version names."""
    cfg = VENV / "pyvenv.cfg"
    text = cfg.read_text(encoding="utf-8") if cfg.is_file() else ""
    found = re.search(r"^version(?:_info)?\s*=\s*([\d.]+)", text, re.MULTILINE)
    wanted = PYTHON_VERSION.split(".")
    if found and found.group(1).split(".")[: len(wanted)] != wanted:
        return found.group(1)
    return None


def find_uv(scratch: Path, rebuild: bool) -> Path:
    """uv from PATH, else the one kept in .venv (copied out if .venv goes), else a new one."""
    on_path = shutil.which("uv")
    if on_path and not Path(on_path).resolve().is_relative_to(VENV):
        return Path(on_path)
    kept = BIN / UV_EXE
    if kept.exists():
        return Path(shutil.copy2(kept, scratch / UV_EXE)) if rebuild else kept
    return bootstrap_uv(scratch)


def require_python(uv: Path) -> None:
    """The Python of .python-version is there, or uv installs it; else stop with one line."""
    if quiet(uv, "python", "find", PYTHON_VERSION).returncode == 0:
        return
    why = "UV_PYTHON_DOWNLOADS=never keeps uv from installing it"
    if os.environ.get("UV_PYTHON_DOWNLOADS") != "never":
        print(f"+ {uv} python install {PYTHON_VERSION}", flush=True)
        if quiet(uv, "python", "install", PYTHON_VERSION).returncode == 0:
            return
        why = "uv could not install it"
    raise fail(
        f"Python {PYTHON_VERSION} (.python-version) is not installed and {why}: install "
        f"Python {PYTHON_VERSION}, or run `uv python install {PYTHON_VERSION}` "
        "where the internet is reachable, or generate the project again with another "
        f"python_version (this python3 is {sys.version.split()[0]})"
    )


def setup(*extras: str) -> None:
    """Create or refresh .venv: the dev extra, ``extras`` on top, versions from uv.lock."""
    stale = stale_venv()
    with tempfile.TemporaryDirectory() as scratch:
        uv = find_uv(Path(scratch), rebuild=stale is not None)
        require_python(uv)
        if stale:  # uv rebuilds it (and keeps it when the new one cannot be made)
            print(f"note: .venv was built for Python {stale}; rebuilding it for {PYTHON_VERSION}")
        lock = LOCK.read_bytes() if LOCK.exists() else None
        # Compile bytecode at install, as pip does: where Python keeps no bytecode cache
        # (PYTHONDONTWRITEBYTECODE, as in many containers) each pipeline stage would
        # otherwise compile pandas, scikit-learn and Great Expectations again.
        options = [f"--extra={extra}" for extra in ("dev", *extras)]
        if stale or not (VENV / "pyvenv.cfg").is_file():
            print("Setting up .venv with the versions in uv.lock (about a minute the first time)")
        call(uv, "sync", *options, "--quiet", "--compile-bytecode")
        secrets_baseline(uv)
        if uv.is_relative_to(scratch):
            shutil.copy2(uv, BIN / UV_EXE)  # kept for the next set-up, which needs no pip
    if lock is None:
        print("note: wrote uv.lock, the exact versions installed; commit it (git add uv.lock)")
    elif LOCK.read_bytes() != lock:
        print("note: updated uv.lock to match pyproject.toml; commit it (git add uv.lock)")


def secrets_baseline(uv: Path) -> None:
    """Write .secrets.baseline when generation could not (no uv beside cookiecutter): the
    committed files scanned by the detect-secrets that the pre-commit hook pins."""
    config = ROOT / ".pre-commit-config.yaml"
    if BASELINE.exists() or not (ROOT / ".git").exists() or not config.is_file():
        return
    pin = re.search(r"detect-secrets==[\w.]+", config.read_text(encoding="utf-8"))
    if pin is None:
        return
    print(f"Writing .secrets.baseline with {pin.group(0)} (generation could not)", flush=True)
    scanner = ("tool", "run", "--quiet", "--from", pin.group(0), "detect-secrets", "scan")
    scan = quiet(uv, *scanner, *SCAN_SKIPS)
    try:
        json.loads(scan.stdout)["results"]
    except (ValueError, KeyError, TypeError):
        last = (scan.stderr.strip().splitlines() or ["no output"])[-1]
        print(
            f"note: .secrets.baseline not written ({last}); pre-commit's secrets hook needs it: "
            "run `python3 tasks.py setup` again where the package index is reachable"
        )
        return
    BASELINE.write_text(scan.stdout, encoding="utf-8")
    print("note: wrote .secrets.baseline; commit it (git add .secrets.baseline)")


def hooks(args: list[str]) -> None:
    """pre-commit's hooks in .git/hooks, with their environments installed now."""
    setup()
    print("Installing the pre-commit hooks and their environments (a minute or so the first time)")
    call(BIN / "pre-commit", "install", "--install-hooks", *args)


def shown(value: object) -> str:
    return "n/a" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def summary() -> None:
    """The model's metrics as a table, and the data validation verdict in one line."""
    if METRICS.is_file():
        metrics = json.loads(METRICS.read_text(encoding="utf-8"))
        width = max(len("metric"), *map(len, metrics))
        print(f"\n{'metric':<{width}}  value\n{'-' * width}  ------")
        for name, value in metrics.items():
            print(f"{name:<{width}}  {shown(value)}")
    if VALIDATION.is_file():
        check = json.loads(VALIDATION.read_text(encoding="utf-8"))
        verdict = "passed" if check["success"] else "FAILED"
        print(
            f"\nData validation {verdict}: {check['successful']} of {check['evaluated']} "
            f"expectations met on {check['rows']} rows (reports/validation.md)"
        )


def repro(args: list[str]) -> None:
    setup()
    print(
{%- if cookiecutter.segment_by %}
        "Running the pipeline (ingest, validate, prepare, plan, the train shards, evaluate); "
        "a stage whose inputs have not changed is skipped, each shard fits only the models "
        "that changed, and each says what it wrote",
{%- else %}
        "Running the pipeline (ingest, validate, prepare, train, evaluate); a stage whose "
        "inputs have not changed is skipped, and each says what it wrote",
{%- endif %}
        flush=True,
    )
    call(BIN / "dvc", "repro", *args)
    summary()
    print("Plots: `source .venv/bin/activate && dvc plots show`, then open dvc_plots/index.html")


def experiments(args: list[str]) -> None:
    """The experiments of HEAD (or those named) against the baseline, with the gate's verdict."""
    setup()
    code = subprocess.call(
        [str(BIN / "python"), "-m", "mlops_kit.comparison.experiments", *args], cwd=ROOT, env=ENV
    )
    if code:
        raise SystemExit(code)


def test(args: list[str]) -> None:
    setup()
    call(BIN / "python", "-m", "pytest", *args)


def lint(args: list[str]) -> None:
    setup()
    call(BIN / "ruff", "check", *args, ".")
    call(BIN / "ruff", "format", "--check", ".")


def update(args: list[str]) -> None:
    """cruft, which brings later template changes into this project (see README)."""
    setup("update")
    if not args or args[0] not in {"check", "diff", "link"}:
        args = ["update", *args]
    call(BIN / "cruft", *args)


def act_stand_ins() -> list[str]:
    """`--local-repository` options replacing each pinned action that has a stand-in, in the
    workflows and in the local composite actions they use (.github/actions/)."""
    options = set()
    github = ROOT / ".github"
    for path in [*github.glob("workflows/*.yml"), *github.glob("actions/*/action.yml")]:
        text = path.read_text(encoding="utf-8")
        for owner_repo, ref in re.findall(r"uses:\s*([\w.-]+/[\w.-]+)@([0-9a-f]{40})", text):
            folder = ROOT / ".github" / "act" / owner_repo.split("/")[1]
            if folder.is_dir():
                options.add(f"--local-repository={owner_repo}@{ref}={folder}")
    return sorted(options)


def default_branch() -> str:
    """The branch origin's HEAD names, else main: act would assume master, and the
    workflows publish from the default branch only."""
    found = subprocess.run(
        ["git", "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return found.removeprefix("origin/") or "main"


def ci_local(args: list[str]) -> None:
    """Run the workflows for EVENT (default: push) on this machine with act."""
    setup("ci-local")
    event, extra = (args[0], args[1:]) if args and not args[0].startswith("-") else ("push", args)
    work = ROOT / ".ci-local"
    ENV.pop("VIRTUAL_ENV")  # each job makes its own environment
    # As on GitHub's runners, each job's Python keeps the bytecode it compiles: where it is
    # told not to (as in many containers), every step would compile its imports again.
    ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    call(
        BIN / "act",
        event,
        "-P",
        "ubuntu-latest=-self-hosted",
        "--no-skip-checkout",
        "--action-cache-path",
        work / "act",
        "-s",
        "GITHUB_TOKEN=local-dummy-token",  # pragma: allowlist secret (act needs one; unused)
        "--env",
        f"CI_LOCAL_SOURCE={ROOT}",
        "--env",
        f"CI_LOCAL_ARTIFACTS={work / 'artifacts'}",
        *act_stand_ins(),
        *([] if "--defaultbranch" in extra else ["--defaultbranch", default_branch()]),
        *extra,
    )


# {command: (its arguments, what it does in one line, its function)}
COMMANDS = {
    "setup": ("", "create or refresh .venv, nothing else", lambda args: setup()),
    "repro": ("[DVC ARGS]", "run the DVC pipeline; show the metrics and validation verdict", repro),
    "experiments": (
        "[NAMES] [--all] [--markdown F]",
        "DVC experiments against the baseline, with the gate's verdict, as a pull request",
        experiments,
    ),
    "test": ("[PYTEST ARGS]", "run the tests of code, data and model", test),
    "lint": ("[RUFF ARGS]", "ruff check, and ruff format --check", lint),
    "hooks": ("", "install the pre-commit hooks (once per clone)", hooks),
    "ci-local": ("[EVENT] [ACT ARGS]", "run the GitHub workflows here, under act", ci_local),
    "update": ("[check|diff|ARGS]", "bring in later template changes with cruft (README)", update),
}


def usage() -> str:
    rows = {f"{name} {args}".strip(): about for name, (args, about, _) in COMMANDS.items()}
    rows["help"] = "this list"
    width = max(map(len, rows)) + 2
    lines = "\n".join(f"  {left:<{width}}{about}" for left, about in rows.items())
    return (
        f"usage: python3 tasks.py COMMAND [ARGS...]\n\n{lines}\n\n"
        "Each command but help first creates or refreshes .venv (uv; versions from uv.lock)."
    )


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"help", "-h", "--help"}:
        print(usage())
        return 0
    if argv[0] not in COMMANDS:
        print(f"error: unknown command {argv[0]!r}\n\n{usage()}", file=sys.stderr)
        return 2
    COMMANDS[argv[0]][2](argv[1:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
