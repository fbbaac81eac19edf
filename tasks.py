"""Run the template's jobs with nothing but python3 (standard library only).

    python3 tasks.py demo            # generate a project on default answers, run its pipeline
    python3 tasks.py test [ARGS]     # the template's tests, fast and slow tiers (ARGS go to pytest)
    python3 tasks.py test -m "not slow"   # the fast tier only
    python3 tasks.py bench [--size smallest|full] [--out DIR]   # benchmarks -> BENCHMARKS.md

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
BENCH_STAMP = VENV / ".installed-bench"
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


def requirements(*extras: str) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    optional = project["optional-dependencies"]
    return [*project["dependencies"], *(r for extra in extras for r in optional[extra])]


def setup(*extras: str) -> None:
    """Create .venv with the pinned tools, again whenever pyproject.toml changes.

    The test tools always; ``extras`` (e.g. "bench") on top, with a stamp of their own."""
    pyproject = ROOT / "pyproject.toml"
    stamp = BENCH_STAMP if extras else STAMP
    if stamp.exists() and stamp.stat().st_mtime >= pyproject.stat().st_mtime:
        return
    if not (BIN / "python").exists():
        call(sys.executable, "-m", "venv", VENV)
    wanted = requirements("test", *extras)
    uv = shutil.which("uv") or BIN / "uv"
    if not Path(uv).exists():  # bootstrap uv (pinned below) with pip, then let uv do the rest
        (uv_pin,) = [r for r in wanted if r.startswith("uv==")]
        call(BIN / "python", "-m", "pip", "install", "--quiet", uv_pin)
    call(uv, "pip", "install", "--quiet", "--python", BIN / "python", *wanted)
    stamp.touch()
    if extras:
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


def bench(args: list[str]) -> None:
    """Benchmarks: generated pipeline against hand-written baselines (see BENCHMARKS.md).

    --size full (default, about 20 minutes on two cores) or smallest (a few minutes);
    --out DIR writes the report there instead of BENCHMARKS.md at the root."""
    setup("bench")
    call(BIN / "python", ROOT / "bench" / "run.py", *args)


COMMANDS = {"demo": demo, "test": test, "bench": bench, "setup": lambda args: setup()}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python3 tasks.py ({'|'.join(COMMANDS)}) [args...]", file=sys.stderr)
        return 2
    COMMANDS[argv[0]](argv[1:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
