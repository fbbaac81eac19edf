"""The "Many models" part of the benchmarks: a project with one model per segment, measured
against the simplest one-process loop over the same fits.

Run by bench/run.py (``--only many``). Writes 1,000 segments of synthetic data (16 at the
smallest size; bench/many_models.py), generates a project from it with
``segment_by=segment`` (20 trees a model, as the loop), and measures with its own ``dvc``:
- the first training: the train shards' own wall times (each prints it) but their scoring
  (each prints that too), against the loop fitting the same models on the same rows (the
  project's training split) and saving them; the scoring is reported beside it;
- no-op ``dvc status`` and ``dvc repro``;
- ``dvc repro`` after one model's override, which must fit exactly that model, against
  training that model alone (the loop's process for one segment) plus the no-op
  ``dvc repro`` of a one-model project (default answers, set up as this one), both measured
  in each round beside the override.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
from pathlib import Path

BENCH = Path(__file__).resolve().parent
TREES = 20
ONE_MODEL_NOOP = "one-model no-op dvc repro"
SHARD = re.compile(
    r"train shard (\d+): (\d+) models, (\d+) trained \(([\d.]+) s of fitting, "
    r"([\d.]+) s of scoring\).*?; ([\d.]+) s -> "
)


def shard_lines(output: str) -> list[dict]:
    return [
        {
            "shard": int(m[1]),
            "models": int(m[2]),
            "trained": int(m[3]),
            "fitting": float(m[4]),
            "scoring": float(m[5]),
            "wall": float(m[6]),
        }
        for m in SHARD.finditer(output)
    ]


def fitted_names(output: str) -> list[str]:
    names = []
    for line in output.splitlines():
        if line.startswith("train shard ") and "; trained: " in line:
            names += line.split("; trained: ")[1].split(", ")
    return names


def measure_all(work: Path, template: Path, segments: int, repeats: int, tools, log) -> dict:
    """``tools``: bench/run.py's module (measure, generate, Project, isolated_env, Failed)."""
    loads = [tools.load()]
    env = tools.isolated_env(work / "home")
    env["DVC_SITE_CACHE_DIR"] = str(work / "home" / "dvc-site-cache")
    data = work / "incoming" / "stores.parquet"
    data.parent.mkdir(parents=True)
    log(f"many models: {segments} segments of synthetic data")
    made = tools.measure(
        [tools.sys.executable, BENCH / "many_models.py", "data", data, "--segments", segments],
        work,
        env,
    )
    shape = json.loads(made["output"].strip().splitlines()[-1])
    out = work / "project"
    out.mkdir()
    answers = [f"custom_data_path={data}", "custom_target=target", "segment_by=segment"]
    tools.measure(
        [tools.BIN / "cookiecutter", "--no-input", "-o", out, template, "dataset=custom", *answers],
        out,
        env,
    )
    (root,) = [p for p in out.iterdir() if (p / "dvc.yaml").exists()]
    project = tools.Project(root, env)
    project.setup({**env, "UV_COMPILE_BYTECODE": "1"})
    project.set_param("train.random_forest.n_estimators", TREES)
    log("many models: a one-model project (default answers) for its no-op dvc repro")
    _, one_root = tools.generate(work / "one-model", env, template)
    one_model = tools.Project(one_root, env)
    one_model.setup({**env, "UV_COMPILE_BYTECODE": "1"})
    one_model.dvc("repro")
    log("many models: the first dvc repro")
    first = project.dvc("repro")
    shards = shard_lines(first["output"])
    listing = json.loads((root / "reports" / "models.json").read_text(encoding="utf-8"))
    if sum(s["trained"] for s in shards) != len(listing["models"]):
        raise tools.Failed(f"the first repro should fit every model: {shards}")
    train_split = root / "data" / "prepared" / "train.parquet"
    python = project.python
    loop_args = [python, BENCH / "many_models.py", "baseline", train_split]
    loops, alone, timings = [], [], {"dvc status": [], "no-op dvc repro": [], "one override": []}
    timings[ONE_MODEL_NOOP] = []
    names = sorted(listing["models"])
    for number in range(repeats):
        log(f"many models: the one-process loop, round {number + 1} of {repeats}")
        run = tools.measure(
            [*loop_args, "--out", work / "loop", "--n-estimators", TREES], root, env
        )
        loops.append(json.loads(run["output"].strip().splitlines()[-1]))
        one = names[(number * 97) % len(names)]
        single = [*loop_args, "--out", work / "alone", "--n-estimators", TREES, "--segment", one]
        alone.append(tools.measure(single, root, env)["wall"])
        timings[ONE_MODEL_NOOP].append(one_model.dvc("repro")["wall"])
        timings["dvc status"].append(project.dvc("status")["wall"])
        timings["no-op dvc repro"].append(project.dvc("repro")["wall"])
        project.set_param(f"train.overrides.{one}", {"random_forest": {"n_estimators": TREES + 1}})
        change = project.dvc("repro")
        if fitted_names(change["output"]) != [one]:
            raise tools.Failed(f"one override should fit {one} alone: {change['output'][-2000:]}")
        timings["one override"].append(change["wall"])
    shutil.rmtree(work / "loop", ignore_errors=True)
    loads.append(tools.load())
    return {
        "versions": project.versions(),
        "load": loads,
        "segments": segments,
        "rows": shape["rows"],
        "models": len(listing["models"]),
        "skipped": len(listing["skipped"]),
        "trees": TREES,
        "shards": len(shards),
        "first_repro_wall": first["wall"],
        # the shards' wall time but their scoring: the loop scores nothing
        "first_training": sum(s["wall"] - s["scoring"] for s in shards),
        "first_scoring": sum(s["scoring"] for s in shards),
        "first_shards_wall": sum(s["wall"] for s in shards),
        "loop": loops,
        "loop_total": statistics.median(loop["total_s"] for loop in loops),
        "one_model_alone": tools.stats(alone),
        "timings": {name: tools.stats(values) for name, values in timings.items()},
        "model_mb": round(
            sum(p.stat().st_size for p in (root / "models").rglob("model.joblib")) / 2**20, 1
        ),
    }


# The report's section (BENCHMARKS.md, "Many models").
FIRST_GOAL, CHANGE_GOAL, NOOP_GOAL = 1.3, 1.5, 5.0


def verdicts(many: dict, one_model_noop: float | None) -> list[tuple[str, str, str, bool]]:
    """(measurement, goal, measured, met) for each goal of the many-models part."""
    timings = many["timings"]
    first = many["first_training"] / many["loop_total"]
    found = [
        (
            f"first training of {many['models']} models / the one-process loop",
            f"<= {FIRST_GOAL:g}×",
            f"{first:.2f}× ({many['first_training']:.1f} s against {many['loop_total']:.1f} s)",
            first <= FIRST_GOAL,
        )
    ]
    for name in ("dvc status", "no-op dvc repro"):
        wall = timings[name]["median"]
        found.append(
            (f"`{name}`, nothing changed", f"< {NOOP_GOAL:g} s", f"{wall:.2f} s", wall < NOOP_GOAL)
        )
    if ONE_MODEL_NOOP in timings:  # measured in this part's rounds, not the default part's
        one_model_noop = timings[ONE_MODEL_NOOP]["median"]
    if one_model_noop is not None:
        bound = many["one_model_alone"]["median"] + one_model_noop
        change = timings["one override"]["median"]
        found.append(
            (
                "`dvc repro` after one model's override (fits that one) / that model alone "
                "plus the one-model project's no-op `dvc repro`",
                f"<= {CHANGE_GOAL:g}×",
                f"{change / bound:.2f}× ({change:.2f} s against {bound:.2f} s)",
                change / bound <= CHANGE_GOAL,
            )
        )
    return found


def load_note(loads: list | None) -> str:
    if not loads:
        return ""
    return (
        f" Load average (1, 5, 15 min) at the start of this part {loads[0]}, at its end "
        f"{loads[-1]}: on a machine doing other work the loop and the shards do not get the "
        "same share of it, so a ratio from one run can be off either way."
    )


def section(many: dict, one_model_noop: float | None) -> list[str]:
    lines = [
        "## Many models",
        "",
        f"{many['segments']:,} segments of synthetic data ({many['rows']:,} rows, "
        f"`bench/many_models.py`): {many['models']} models and {many['skipped']} segments below "
        f"`train.min_rows`, {many['trees']} trees a model, {many['shards']} training shards, "
        f"{many['model_mb']:.0f} MB of models. The loop is one process fitting the same models "
        "on the same rows (the project's training split) and saving them; the shards' time is "
        "their own (process start, reading, hashing, fitting, writing) without their scoring, "
        f"which took {many['first_scoring']:.1f} s more (metrics, intervals and profile of each "
        f"model: {many['first_shards_wall']:.1f} s in all). "
        f"Medians of {many['timings']['dvc status']['n']}." + load_note(many.get("load")),
        "",
        "| measurement | goal | measured | |",
        "| --- | --- | --- | --- |",
    ]
    for name, goal, value, met in verdicts(many, one_model_noop):
        lines.append(f"| {name} | {goal} | {value} | {'met' if met else '**not met**'} |")
    if one_model_noop is None and ONE_MODEL_NOOP not in many["timings"]:
        lines.append("")
        lines.append(
            "(No one-model no-op `dvc repro` in these results: the change goal is not judged.)"
        )
    return lines + [""]
