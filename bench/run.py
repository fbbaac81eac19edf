"""Measure what the generated pipeline costs against hand-written scripts doing the same work.

    python bench/run.py [--size smallest|full] [--out DIR] [--template PATH] [--only PART]

Run by ``python3 tasks.py bench`` with the template's .venv. Generates projects with the real
cookiecutter in an isolated HOME (as the template's tests do), sets them up with their own
``tasks.py setup``, times them, writes ``results.json`` to the output folder and then the
report (``report.py``). See BENCHMARKS.md for what each number means.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "tests"))
from conftest import BIN, isolated_env, set_param  # noqa: E402

BUILD = ROOT / "build" / "bench"
STAGES = ("ingest", "validate", "prepare", "train", "evaluate")
SIZES = {
    # rows for the validation-cost and scale runs, and repeats per row count
    "smallest": {
        "rows": {10**4: 1},
        "repeats": 1,
        "tests": 0,
        "act": 0,
        "many_segments": 16,
        "many_repeats": 1,
    },
    "full": {
        "rows": {10**4: 3, 10**5: 2, 10**6: 2, 10**7: 1},
        "repeats": 3,
        "tests": 3,
        "act": 2,
        "many_segments": 1000,
        "many_repeats": 3,
    },
}
# Scale runs: the linear model (a random forest of 100 trees would take hours at 10^7
# rows on two cores) and one permutation-importance repeat instead of five.
SCALE_PARAMS = {"train.model": "linear", "evaluate.importance_repeats": 1}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Failed(RuntimeError):
    pass


def measure(args: list, cwd: Path, env: dict, *, check: bool = True) -> dict:
    """Run a command; return its wall time, exit code, output and the peak memory (MB) of the
    largest process in its tree (the kernel's ru_maxrss over the child and its descendants)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stdout.close()
    if check and process.returncode != 0:
        shown = " ".join(str(a) for a in args)
        raise Failed(f"`{shown}` failed in {cwd} ({process.returncode}):\n{output[-4000:]}")
    return {
        "wall": wall,
        "code": process.returncode,
        "output": output,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        # CPU seconds of the whole tree: what other work on the machine changes least
        "cpu": usage.ru_utime + usage.ru_stime,
    }


def machine() -> dict:
    info = {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        # Set, Python never writes its bytecode cache: what is not compiled at install time
        # is compiled again by every process.
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
    }
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024**2, 1)
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    return info


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Project:
    """A generated project, its environment and its commands."""

    def __init__(self, root: Path, env: dict) -> None:
        self.root = root
        venv = root / ".venv"
        self.env = {
            **env,
            "VIRTUAL_ENV": str(venv),
            "PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}",
        }
        self.python = venv / "bin" / "python"
        self.package = json.loads((root / ".cruft.json").read_text())["context"]["cookiecutter"][
            "package_name"
        ]

    def run(self, *args, check: bool = True) -> dict:
        return measure(list(args), self.root, self.env, check=check)

    def dvc(self, *args) -> dict:
        return self.run(self.root / ".venv" / "bin" / "dvc", *args)

    def git(self, *args) -> str:
        return self.run("git", *args)["output"]

    def setup(self, env: dict) -> dict:
        """The project's own `python3 tasks.py setup`, from no .venv and no uv.lock."""
        shutil.rmtree(self.root / ".venv", ignore_errors=True)
        (self.root / "uv.lock").unlink(missing_ok=True)
        return measure([sys.executable, "tasks.py", "setup"], self.root, env)

    def reset(self) -> None:
        """Back to the state just after generation: no outputs, no lock, empty DVC cache."""
        self.git("reset", "-q", "--hard", "HEAD")
        self.git("clean", "-q", "-fdx", "-e", ".venv", "-e", "uv.lock")

    def wrap_stages(self, record: Path) -> None:
        """Run every stage through bench/stage.py, recording its import and work time."""
        dvc_yaml = self.root / "dvc.yaml"
        text = dvc_yaml.read_text(encoding="utf-8")
        wrapped = text.replace(
            f"python -m {self.package}.", f"python {BENCH / 'stage.py'} {record} {self.package}."
        )
        assert wrapped != text
        dvc_yaml.write_text(wrapped, encoding="utf-8")

    def set_param(self, dotted: str, value: object) -> None:
        set_param(self.root / "params.yaml", dotted, value)

    def versions(self) -> dict:
        code = (
            "import importlib.metadata as m, json, platform;"
            "print(json.dumps({'python': platform.python_version(), **{n: m.version(n) for n in "
            "('dvc', 'great-expectations', 'pandas', 'scikit-learn', 'pyarrow')}}))"
        )
        return json.loads(self.run(self.python, "-c", code)["output"])


def generate(out: Path, env: dict, template: Path) -> tuple[dict, Path]:
    out.mkdir(parents=True)
    result = measure([BIN / "cookiecutter", "--no-input", "-o", out, template], out, env)
    (project,) = [p for p in out.iterdir() if (p / "dvc.yaml").exists()]
    return result, project


def records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def stats(values: list[float]) -> dict:
    """Median and spread; ``values`` stay in the order they were measured."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
        "values": values,
    }


def default_project(work: Path, size: dict, template: Path, results: dict) -> None:
    """Everything measured on the project with the default answers."""
    repeats = size["repeats"]
    env = isolated_env(work / "home")
    env["DVC_SITE_CACHE_DIR"] = str(work / "home" / "dvc-site-cache")
    timings: dict[str, list[float]] = {}
    memory: dict[str, list[float]] = {}

    def keep(name: str, result: dict) -> None:
        timings.setdefault(name, []).append(result["wall"])
        memory.setdefault(name, []).append(result["peak_rss_mb"])

    log(f"default project: generation x{repeats}")
    for number in range(repeats):
        result, root = generate(work / f"gen-{number}", env, template)
        keep("generation", result)
    project = Project(root, env)
    suite = root / "expectations" / "suite.json"

    log(f"default project: set-up with warm caches x{repeats}")
    for _ in range(repeats):
        keep("setup", project.setup(env))
    results["versions"] = project.versions()

    log("default project: warm-up (first run after set-up compiles bytecode)")
    keep("very first dvc repro", project.dvc("repro"))
    for name in ("baseline_gx", "baseline_pandas"):
        project.run(project.python, BENCH / f"{name}.py", suite, work / "warm-up" / name)

    log(f"default project: rounds of baselines and pipeline x{repeats}")
    breakdown: list[dict] = []
    for number in range(repeats):
        stage_log = work / f"round-{number}-baselines.jsonl"
        for name in ("baseline_gx", "baseline_pandas"):
            out = work / f"round-{number}" / name
            keep(
                name,
                project.run(
                    project.python, BENCH / "stage.py", stage_log, BENCH / f"{name}.py", suite, out
                ),
            )
        for entry in records(stage_log):
            entry["name"] = Path(entry["target"]).stem
            breakdown.append({"round": number, **entry})
        project.reset()
        keep("first dvc repro", project.dvc("repro"))
        keep("dvc status", project.dvc("status"))
        keep("no-op dvc repro", project.dvc("repro"))
        project.set_param("train.seed", 100 + number)
        change = project.dvc("repro")
        ran = [line for line in change["output"].splitlines() if line.startswith("Running stage")]
        if len(ran) != 2:
            raise Failed(f"a train parameter should rerun train and evaluate, ran: {ran}")
        keep("dvc repro after a train parameter", change)
        # The same first repro again, every stage run through bench/stage.py.
        project.reset()
        stage_log = work / f"round-{number}-stages.jsonl"
        project.wrap_stages(stage_log)
        keep("first dvc repro, instrumented", project.dvc("repro"))
        for entry in records(stage_log):
            breakdown.append({"round": number, **entry})
    pipeline_metrics = json.loads((root / "reports" / "metrics.json").read_text())
    same = {}
    for name in ("baseline_gx", "baseline_pandas"):
        theirs = json.loads((work / "round-0" / name / "metrics.json").read_text())
        same[name] = theirs == pipeline_metrics

    if size["tests"]:
        # The project's tests read the outputs of an unwrapped pipeline: reproduce it first.
        project.reset()
        project.dvc("repro")
        log(f"default project: its own tests x{size['tests']}")
    for _ in range(size["tests"]):
        keep("project tests", measure([sys.executable, "tasks.py", "test", "-q"], root, env))

    results["default"] = {
        "timings": {name: stats(values) for name, values in timings.items()},
        "peak_rss_mb": {name: max(values) for name, values in memory.items()},
        "breakdown": breakdown,
        "metrics": pipeline_metrics,
        "baseline_metrics_equal": same,
        "repeats": repeats,
    }
    if size["act"]:
        results["default"]["act"] = pull_request_workflow(work / "act", size["act"])


def pull_request_workflow(work: Path, repeats: int) -> dict:
    """The pull-request workflows end to end under act, as the template's tests run them."""
    if not (BIN / "act").exists():
        return {"skipped": "act is not installed"}
    from test_workflows import CiProject

    log(f"default project: pull-request workflows under act x{repeats}")
    work.mkdir(parents=True)
    ci = CiProject(work)
    try:
        ci.use_folder_remote()
        ci.commit_baseline()
        ci.push("main")
        walls = []
        ci.branch_with_params("tune", "Another seed", train__seed=43)
        for number in range(repeats):
            if number:
                ci.set_param("train.seed", 43 + number)
                ci.git("commit", "-qam", "Another seed")
                ci.push("tune")
            start = time.perf_counter()
            result = ci.pull_request(1, "tune", label=f"pull request {number}")
            walls.append(time.perf_counter() - start)
            if result.returncode != 0:
                raise Failed(f"pull-request workflows failed:\n{result.stdout[-4000:]}")
        return {"pull request workflows": stats(walls)}
    finally:
        ci.close()


def raw_data(root: Path) -> str:
    """The file the ingest stage writes (its one output in dvc.yaml), relative to the project."""
    import yaml

    stages = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    (out,) = stages["ingest"]["outs"]
    return out if isinstance(out, str) else next(iter(out))


def compiled_project(work: Path, template: Path, results: dict) -> Project:
    """A project with the default answers, set up, at its generated commit."""
    env = isolated_env(work / "home")
    env["DVC_SITE_CACHE_DIR"] = str(work / "home" / "dvc-site-cache")
    _, root = generate(work / "project", env, template)
    project = Project(root, env)
    # Not timed here: compile bytecode at install (the template asks uv to since the
    # benchmarks showed it), so that no stage pays for compiling, with any template version.
    project.setup({**env, "UV_COMPILE_BYTECODE": "1"})
    results.setdefault("versions", project.versions())
    return project


def scale(work: Path, size: dict, template: Path, results: dict) -> Project:
    """The pipeline on synthetic data against the same-libraries baseline on the same rows,
    and the validate stage against plain pandas checks. Returns the project, back at its
    generated commit with no outputs, for the next part to use."""
    project = compiled_project(work, template, results)
    root = project.root
    generated = project.git("rev-parse", "HEAD").strip()
    bundled = work / "bundled-suite.json"
    shutil.copyfile(root / "expectations" / "suite.json", bundled)
    for dotted, value in SCALE_PARAMS.items():
        project.set_param(dotted, value)
    project.set_param("ingest.source", "data/external/synthetic.parquet")
    stage_log = work / "stages.jsonl"
    project.wrap_stages(stage_log)
    project.git("commit", "-qam", "Benchmark: synthetic data, scale parameters")
    raw = raw_data(root)
    runs, checks = [], []
    for rows, repeats in size["rows"].items():
        log(f"scale: {rows} rows, pipeline and same-libraries baseline x{repeats}")
        (root / "data" / "external").mkdir(parents=True, exist_ok=True)
        project.run(
            project.python,
            BENCH / "synth.py",
            rows,
            root / "data" / "external" / "synthetic.parquet",
            bundled,
            root / "expectations" / "suite.json",
        )
        for number in range(repeats):
            shutil.rmtree(root / ".dvc" / "cache", ignore_errors=True)
            before = len(records(stage_log))
            whole = project.dvc("repro", "--force")
            for entry in records(stage_log)[before:]:
                runs.append({"rows": rows, "round": number, **entry})
            runs.append(
                {
                    "rows": rows,
                    "round": number,
                    "name": "dvc repro",
                    "wall": whole["wall"],
                    "cpu": whole["cpu"],
                    "peak_rss_mb": whole["peak_rss_mb"],
                }
            )
            runs.append({"rows": rows, "round": number, **baseline(project, work, raw, rows)})
        log(f"validation: {rows} rows, validate stage and pandas checks x{repeats}")
        check_log = work / "checks.jsonl"
        for number in range(repeats):
            before = len(records(check_log))
            project.run(
                project.python,
                BENCH / "stage.py",
                check_log,
                f"{project.package}.validate",
                f"--data={raw}",
                "--suite=expectations/suite.json",
                f"--summary={work / 'validation.json'}",
                f"--report={work / 'validation.md'}",
            )
            project.run(
                project.python,
                BENCH / "stage.py",
                check_log,
                BENCH / "baseline_pandas.py",
                "--check",
                raw,
                "expectations/suite.json",
            )
            for entry, kind in zip(
                records(check_log)[before:], ("validate", "pandas"), strict=True
            ):
                checks.append({"rows": rows, "round": number, **entry, "name": kind})
    # The largest size leaves gigabytes behind: keep the records, not the data.
    (root / "data" / "external" / "synthetic.parquet").unlink()
    for folder in (".dvc/cache", "data/raw", "data/prepared", "models"):
        shutil.rmtree(root / folder, ignore_errors=True)
    results["scale"] = {"runs": runs, "params": SCALE_PARAMS, "raw_data": raw}
    results["validation"] = {"runs": checks, "raw_data": raw}
    from scale_report import verdicts

    for line in verdicts(results):
        log(f"scale goal: {line}")
    project.git("reset", "-q", "--hard", generated)
    project.reset()
    return project


def baseline(project: Project, work: Path, raw: str, rows: int) -> dict:
    """Baseline (a) on the rows the ingest stage just wrote, with the project's parameters
    and suite: its wall time from outside, its imports and peak memory from inside, and
    whether its metrics are the pipeline's."""
    record, out = work / "baseline.jsonl", work / "baseline"
    shutil.rmtree(out, ignore_errors=True)
    before = len(records(record))
    result = project.run(
        project.python,
        BENCH / "stage.py",
        record,
        BENCH / "baseline_gx.py",
        "expectations/suite.json",
        out,
        raw,
        "params.yaml",
    )
    (inside,) = records(record)[before:]
    pipeline = json.loads((project.root / "reports" / "metrics.json").read_text())
    theirs = json.loads((out / "metrics.json").read_text())
    if theirs != pipeline:
        log(f"scale: at {rows} rows the baseline's metrics differ: {theirs} != {pipeline}")
    return {
        **inside,
        "name": "baseline_gx",
        "wall": result["wall"],
        "cpu": result["cpu"],
        "peak_rss_mb": max(result["peak_rss_mb"], inside["peak_rss_mb"]),
        "metrics_equal": theirs == pipeline,
        "metrics": theirs,
        "pipeline_metrics": pipeline,
    }


def use(
    work: Path, size: str, template: Path, results: dict, project: Project | None = None
) -> None:
    """The model in use (bench/use.py): service, batch prediction, monitor. On ``project``
    (the scale runs' one, back at its generated commit) when given, else on a new one."""
    import use as using

    project = project or compiled_project(work, template, results)
    project.dvc("repro")
    results["use"] = using.measure_all(project, size, work / "runs", log)


def many_models(work: Path, size: dict, template: Path, results: dict) -> None:
    """One model per segment (bench/many.py) against the one-process loop."""
    import many

    found = many.measure_all(
        work, template, size["many_segments"], size["many_repeats"], sys.modules[__name__], log
    )
    results.setdefault("versions", found.pop("versions"))
    results["many"] = found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--out", type=Path, default=None, help="folder for the report")
    parser.add_argument("--template", type=Path, default=ROOT, help="template to benchmark")
    parser.add_argument(
        "--only",
        choices=("default", "scale", "use", "many"),
        default=None,
        help="run one part only",
    )
    args = parser.parse_args(argv)
    args.out = args.out.resolve() if args.out else None
    size = SIZES[args.size]
    work = (args.out / "work") if args.out else BUILD / "work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    started = time.perf_counter()
    results = {
        "size": args.size,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "template_commit": template_commit(args.template),
        "machine": machine(),
        "load_at_start": load(),
    }
    if args.only in (None, "default"):
        default_project(work / "default", size, args.template.resolve(), results)
    shared = None
    if args.only in (None, "scale"):
        shared = scale(work / "scale", size, args.template.resolve(), results)
    if args.only in (None, "use"):
        use(work / "use", args.size, args.template.resolve(), results, shared)
    if args.only in (None, "many"):
        many_models(work / "many", size, args.template.resolve(), results)
    results["load_at_end"] = load()
    results["bench_wall"] = time.perf_counter() - started
    earlier = BENCH / "results.json"
    if args.only and not args.out and earlier.exists():
        # One part rerun: keep the other parts of the committed report, saying so.
        previous = json.loads(earlier.read_text(encoding="utf-8"))
        for key in ("default", "scale", "validation", "use", "many"):
            if key in previous and key not in results:
                results[key] = previous[key]
                # kept already by the previous run: name the run that measured it
                results.setdefault("kept_from", {})[key] = previous.get("kept_from", {}).get(
                    key,
                    {"date": previous["date"], "template_commit": previous.get("template_commit")},
                )
    out = args.out or ROOT
    out.mkdir(parents=True, exist_ok=True)
    result_file = (out / "results.json") if args.out else BENCH / "results.json"
    result_file.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    log(f"results: {result_file}")
    from report import write_report

    write_report(results, out, before=earlier_runs())
    log(f"done in {results['bench_wall'] / 60:.1f} min")
    return 0


def earlier_runs() -> list[dict]:
    """Committed results of earlier template versions (bench/results-before-*.json), oldest
    first: the report compares this run with them."""
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in BENCH.glob("results-before*.json")]
    return sorted(runs, key=lambda run: run["date"])


def template_commit(template: Path) -> str | None:
    result = subprocess.run(
        ["git", "-C", str(template), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "-C", str(template), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    return result.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    raise SystemExit(main())
