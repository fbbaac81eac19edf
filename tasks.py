"""Run the template's jobs with nothing but python3 (standard library only).

    python3 tasks.py demo            # generate a project on default answers, run its pipeline
    python3 tasks.py test [ARGS]     # the template's tests, fast and slow tiers (ARGS go to pytest)
    python3 tasks.py test -m "not slow"   # the fast tier only

The first run creates .venv with the pinned tools from pyproject.toml.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"
DEMO_DIR = ROOT / "build" / "demo"
ENV = {
    **os.environ,
    "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    "DVC_NO_ANALYTICS": "1",
    "GX_ANALYTICS_ENABLED": "false",
}
# Not inherited: our own venv, and the interpreter pin a pyenv shim sets for
# itself, which would hide the Python version a generated project asks for.
for _name in ("VIRTUAL_ENV", "PYENV_VERSION"):
    ENV.pop(_name, None)


def call(*args: str | Path, cwd: Path = ROOT) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    code = subprocess.call([str(a) for a in args], cwd=cwd, env=ENV)
    if code:
        raise SystemExit(code)


def requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["test"]]


def setup() -> None:
    """Create .venv with the pinned tools, again whenever pyproject.toml changes."""
    pyproject = ROOT / "pyproject.toml"
    if STAMP.exists() and STAMP.stat().st_mtime >= pyproject.stat().st_mtime:
        return
    if not (BIN / "python").exists():
        call(sys.executable, "-m", "venv", VENV)
    wanted = requirements()
    uv = shutil.which("uv") or BIN / "uv"
    if not Path(uv).exists():  # bootstrap uv (pinned below) with pip, then let uv do the rest
        (uv_pin,) = [r for r in wanted if r.startswith("uv==")]
        call(BIN / "python", "-m", "pip", "install", "--quiet", uv_pin)
    call(uv, "pip", "install", "--quiet", "--python", BIN / "python", *wanted)
    STAMP.touch()


def demo(args: list[str]) -> None:
    setup()
    if DEMO_DIR.exists():
        shutil.rmtree(DEMO_DIR)
    DEMO_DIR.mkdir(parents=True)
    call(BIN / "cookiecutter", "--no-input", "--output-dir", DEMO_DIR, ROOT, *args)
    (project,) = [p for p in DEMO_DIR.iterdir() if (p / "dvc.yaml").exists()]
    call(sys.executable, "tasks.py", "repro", cwd=project)
    print(f"\nGenerated project: {project}")
    print(f"Metrics: {project / 'reports' / 'metrics.json'}")
    print(f"Data validation report: {project / 'reports' / 'validation.md'}")


def test(args: list[str]) -> None:
    setup()
    call(BIN / "python", "-m", "pytest", *args)


COMMANDS = {"demo": demo, "test": test, "setup": lambda args: setup()}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python3 tasks.py ({'|'.join(COMMANDS)}) [args...]", file=sys.stderr)
        return 2
    COMMANDS[argv[0]](argv[1:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
