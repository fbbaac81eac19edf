"""Measure the many-models prototype: K DVC stages (``foreach`` over shard ids), each training
its segments in one process and keeping the models whose fingerprint did not change.

    python bench/many_models_dvc.py [--segments 1000] [--shards 1 2 4 8] [--repeats 3]
        [--n-estimators 20] [--work DIR] [--out RESULTS.json] [--venv VENV] [--baseline]
        [--clib DIR] [--single-project PROJECT] [--keep]

Runs with the template's .venv; the projects' dvc and python are ``--venv``'s (default: the
running one; it needs dvc, pandas, pyarrow, scikit-learn, PyYAML). For each K it builds a
throwaway project in ``--work`` (git init, dvc init, analytics off, the data added with
``dvc add``, ``bench/many_models_trainer.py`` as ``trainer.py``, the template's
``features.py``) and times, with the same dvc:

- the first ``dvc repro``; no-op ``dvc status`` and ``dvc repro``; ``dvc status`` after every
  model file's mtime changed (DVC hashes the outs again);
- ``dvc repro`` after changing one segment's ``train.overrides`` entry, in two designs:
  *split* (a small ``overrides`` stage writes each shard's part to its own file, and shard k
  depends on its file only) and *key* (every shard depends on the params key
  ``train.overrides``);
- ``dvc push`` to a local folder remote, the outs deleted, ``dvc pull``: are the files the
  same, and is ``dvc repro`` then a no-op.

Also: one model trained alone (a process reading that segment and fitting it), with
``--baseline`` the one-process loop of ``many_models.py baseline``, with ``--clib`` the
no-op commands again with ruamel.yaml's C extension on PYTHONPATH, and ``dvc repro`` no-op
in ``--single-project`` (a generated default project). Writes every measurement to
``--out``; the medians are printed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import many_models  # noqa: E402

BIN = Path(sys.executable).parent  # replaced by --venv's bin
SUMMARY = re.compile(r"^shard-summary (\{.*\})$", re.MULTILINE)
RAN = re.compile(r"^Running stage '([^']+)'", re.MULTILINE)


def log(message: str) -> None:
    print(f"[many-models {time.strftime('%H:%M:%S')}] {message}", flush=True)


def measure(args: list, cwd: Path, env: dict) -> dict:
    """Run a command; return its wall and CPU seconds (whole tree) and its output."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(a) for a in args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.stdout.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(
            f"{' '.join(map(str, args))} failed ({code}) in {cwd}:\n{output[-3000:]}"
        )
    summaries = [json.loads(m) for m in SUMMARY.findall(output)]
    return {
        "wall": round(wall, 3),
        "cpu": round(usage.ru_utime + usage.ru_stime, 3),
        "stages_ran": RAN.findall(output),
        "trained": sum(s["trained"] for s in summaries),
        "shards": summaries,
        "output_last": output.strip().splitlines()[-1] if output.strip() else "",
    }


def git(project: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)


def params_yaml(shards: int, n_estimators: int, overrides: dict) -> str:
    lines = [
        "train:",
        f"  shards: {shards}",
        f"  shard_ids: {list(range(shards))}",
        "  min_rows: 50",
        "  model: random_forest",
        "  seed: 42",
        "  random_forest:",
        f"    n_estimators: {n_estimators}",
        "  overrides:" + ("" if overrides else " {}"),
    ]
    for segment, trees in sorted(overrides.items()):
        lines += [f"    {segment}:", "      random_forest:", f"        n_estimators: {trees}"]
    return "\n".join(lines) + "\n"


SHARED_PARAMS = """\
      params:
        - train.shards
        - train.shard_ids
        - train.min_rows
        - train.model
        - train.seed
        - train.random_forest
"""


def dvc_yaml(design: str) -> str:
    """The pipeline: ``split`` (shard k depends on its own overrides file) or ``key`` (every
    shard depends on params key train.overrides)."""
    text = "stages:\n"
    if design == "split":
        text += """\
  overrides:
    cmd: python trainer.py split --out build/overrides
    deps:
      - trainer.py
    params:
      - train.shards
      - train.overrides
    outs:
      - build/overrides
"""
    text += """\
  train:
    foreach: ${train.shard_ids}
    do:
      cmd: >-
        python trainer.py train --shard ${item} --data data/segments.parquet
        --out models/shard-${item}"""
    text += " --overrides build/overrides/shard-${item}.json\n" if design == "split" else "\n"
    text += """\
      deps:
        - data/segments.parquet
        - trainer.py
        - features.py
"""
    if design == "split":
        text += "        - build/overrides/shard-${item}.json\n"
    text += SHARED_PARAMS
    if design == "key":
        text += "        - train.overrides\n"
    text += """\
      outs:
        - models/shard-${item}:
            persist: true
"""
    return text


def files_digest(folder: Path) -> dict:
    """MD5 of every file of the shards' folders (models/.gitignore is git's, not DVC's)."""
    return {
        str(p.relative_to(folder)): hashlib.md5(p.read_bytes()).hexdigest()
        for p in sorted(folder.glob("shard-*/**/*"))
        if p.is_file()
    }


class Project:
    def __init__(self, root: Path, shards: int, n_estimators: int, env: dict) -> None:
        self.root, self.shards, self.n_estimators, self.env = root, shards, n_estimators, env
        self.overrides: dict[str, int] = {}

    def dvc(self, *args: str) -> dict:
        return measure([BIN / "dvc", *args], self.root, self.env)

    def create(self, data: Path, design: str) -> None:
        if self.root.exists():
            shutil.rmtree(self.root)
        (self.root / "data").mkdir(parents=True)
        git(self.root, "init", "-q")
        git(self.root, "config", "user.email", "bench@example.com")
        git(self.root, "config", "user.name", "bench")
        subprocess.run([BIN / "dvc", "init", "-q"], cwd=self.root, env=self.env, check=True)
        self.dvc("config", "core.analytics", "false")
        shutil.copy(data, self.root / "data" / "segments.parquet")
        self.dvc("add", "data/segments.parquet")
        shutil.copy(BENCH / "many_models_trainer.py", self.root / "trainer.py")
        shutil.copy(many_models.FEATURES, self.root / "features.py")
        self.write_params()
        self.write_pipeline(design)
        git(self.root, "add", "-A")
        git(self.root, "commit", "-qm", "project")

    def write_params(self) -> None:
        text = params_yaml(self.shards, self.n_estimators, self.overrides)
        (self.root / "params.yaml").write_text(text, encoding="utf-8")

    def write_pipeline(self, design: str) -> None:
        (self.root / "dvc.yaml").write_text(dvc_yaml(design), encoding="utf-8")

    def commit(self, message: str) -> None:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-qm", message, "--allow-empty")

    def change_one(self, segment: str) -> dict:
        self.overrides[segment] = self.n_estimators + 1 + len(self.overrides)
        self.write_params()
        result = self.dvc("repro")
        self.commit(f"override {segment}")
        return result


def check_noop(result: dict, what: str) -> dict:
    if result["stages_ran"]:
        log(f"  {what} ran stages: {result['stages_ran']}")
    return result


def segments_to_change(data: Path, count: int) -> list[str]:
    import pandas as pd

    sizes = pd.read_parquet(data, columns=["segment"])["segment"].value_counts()
    usable = sorted(sizes[sizes >= many_models.MIN_ROWS].index)
    # spread over the alphabet, hence over the shards
    return [usable[(i * 7919) % len(usable)] for i in range(count)]


def bench_shards(args, data: Path, shards: int, env: dict) -> dict:
    repeats = args.repeats
    project = Project(args.work / f"k{shards}", shards, args.n_estimators, env)
    project.create(data, "split")
    log(f"K={shards}: first dvc repro")
    result = {"shards": shards, "first_repro": project.dvc("repro")}
    project.commit("first repro")
    result["status"] = [check_noop(project.dvc("status"), "status") for _ in range(repeats)]
    result["noop_repro"] = [check_noop(project.dvc("repro"), "repro") for _ in range(repeats)]
    if args.clib:
        project.env = {**env, "PYTHONPATH": str(args.clib)}
        result["status_clib"] = [project.dvc("status") for _ in range(repeats)]
        result["noop_repro_clib"] = [project.dvc("repro") for _ in range(repeats)]
        project.env = env
    lock = project.root / "dvc.lock"
    result["lock_bytes"] = lock.stat().st_size
    result["lock_lines"] = len(lock.read_text().splitlines())
    models = project.root / "models"
    result["model_files"] = sum(1 for p in models.rglob("*") if p.is_file())
    result["model_bytes"] = sum(p.stat().st_size for p in models.rglob("*") if p.is_file())

    log(f"K={shards}: status after touching every model file")
    now = time.time()
    for path in models.rglob("*"):
        os.utime(path, (now, now))
    result["status_after_touch"] = project.dvc("status")
    result["status_after_touch_again"] = project.dvc("status")

    changes = segments_to_change(data, 2 * repeats)
    log(f"K={shards}: one override changed (split design)")
    result["change_split"] = [project.change_one(s) for s in changes[:repeats]]

    log(f"K={shards}: push, delete, pull")
    remote = args.work / f"remote-k{shards}"
    shutil.rmtree(remote, ignore_errors=True)
    project.dvc("remote", "add", "-d", "local", str(remote))
    project.commit("remote")
    before = files_digest(models)
    result["push"] = project.dvc("push")
    for shard in models.glob("shard-*"):
        shutil.rmtree(shard)
    shutil.rmtree(project.root / ".dvc" / "cache")
    result["pull"] = project.dvc("pull")
    result["pull_identical"] = files_digest(models) == before
    result["status_after_pull"] = project.dvc("status")
    result["repro_after_pull"] = project.dvc("repro")

    log(f"K={shards}: switch to the key design")
    project.write_pipeline("key")
    shutil.rmtree(project.root / "build")
    result["switch_to_key"] = project.dvc("repro")
    project.commit("key design")
    result["noop_repro_key"] = check_noop(project.dvc("repro"), "repro")
    log(f"K={shards}: one override changed (key design)")
    result["change_key"] = [project.change_one(s) for s in changes[repeats:]]
    shutil.rmtree(remote, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(project.root)
    return result


def one_model(args, data: Path, env: dict) -> list[dict]:
    """A process that reads one segment's rows and fits and saves its model."""
    segment = segments_to_change(data, 1)[0]
    script = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); import many_models as m\n"
        "import joblib, pyarrow.parquet as pq\n"
        "rows = pq.read_table(sys.argv[2], filters=[('segment', '==', sys.argv[3])]).to_pandas()\n"
        "x = rows.drop(columns=['segment', 'target'])\n"
        "began = time.perf_counter()\n"
        "p = m.make_pipeline(m.load_features(), x, int(sys.argv[4])).fit(x, rows['target'])\n"
        "fit = time.perf_counter() - began\n"
        "joblib.dump(p, sys.argv[5])\n"
        'print(\'shard-summary {"trained": 1, "fit": %.4f, "rows": %d}\' % (fit, len(rows)))\n'
    )
    out = args.work / "one-model.joblib"
    runs = []
    for _ in range(args.repeats):
        command = [BIN / "python", "-c", script, BENCH, data, segment, args.n_estimators, out]
        runs.append(measure(command, args.work, env))
    return runs


def median(runs: list[dict], key: str = "wall") -> float:
    return round(statistics.median(r[key] for r in runs), 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-estimators", type=int, default=20)
    parser.add_argument("--work", type=Path, default=Path("build/many-models"))
    parser.add_argument("--out", type=Path, default=Path("build/many-models/results.json"))
    parser.add_argument("--single-project", type=Path, help="a generated default project")
    parser.add_argument("--keep", action="store_true", help="keep the projects")
    parser.add_argument(
        "--venv", type=Path, help="the environment whose dvc and python the projects use"
    )
    parser.add_argument(
        "--clib", type=Path, help="a folder holding _ruamel_yaml (ruamel.yaml.clib), to time again"
    )
    parser.add_argument("--baseline", action="store_true", help="also time the one-process loop")
    args = parser.parse_args(argv)
    global BIN
    if args.venv:
        BIN = args.venv.resolve() / "bin"
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    data = args.work / f"segments-{args.segments}-{args.seed}.parquet"
    if not data.exists():
        log(f"writing {data}")
        many_models.write_data(data, args.segments, args.seed)
    results = {"segments": args.segments, "n_estimators": args.n_estimators, "runs": []}
    results["loadavg_start"] = os.getloadavg()
    results["one_model"] = one_model(args, data, env)
    if args.baseline:
        loop = [BIN / "python", BENCH / "many_models.py", "baseline", data]
        loop += ["--out", args.work / "baseline", "--n-estimators", args.n_estimators]
        results["baseline"] = []
        for _ in range(args.repeats):
            run = measure(loop, args.work, env)
            run["result"] = json.loads(run.pop("output_last"))
            results["baseline"].append(run)
        shutil.rmtree(args.work / "baseline")
    if args.single_project:
        dvc = args.single_project / ".venv" / "bin" / "dvc"
        results["single_project_noop_repro"] = [
            measure([dvc, "repro"], args.single_project, env) for _ in range(args.repeats)
        ]
    for shards in args.shards:
        results["runs"].append(bench_shards(args, data, shards, env))
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    results["loadavg_end"] = os.getloadavg()
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    for run in results["runs"]:
        shown = {
            "K": run["shards"],
            "first": run["first_repro"]["wall"],
            "status": median(run["status"]),
            "noop": median(run["noop_repro"]),
            "change_split": median(run["change_split"]),
            "change_key": median(run["change_key"]),
            "lock_kb": round(run["lock_bytes"] / 1024, 1),
            "pull_identical": run["pull_identical"],
        }
        print(json.dumps(shown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
