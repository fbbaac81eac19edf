"""The Scale section of BENCHMARKS.md: the pipeline on synthetic data against the
same-libraries baseline on the same rows, per size, and the goals at the largest size."""

from __future__ import annotations

from report import STAGES, median, rows_label, spread, stat

# Goals at the largest size (10^7 rows in a full run).
REPRO_GOAL = 1.3  # whole `dvc repro` / baseline (a), wall time
PEAK_GOAL = 1.5  # each stage's peak memory / baseline (a)'s peak
MACHINE_GIB = 24  # the machine the run must fit on ...
OS_ROOM_GIB = 4  # ... leaving this much to the operating system and DVC itself


def at(runs: list[dict], rows: int, name: str) -> list[dict]:
    return [r for r in runs if r["rows"] == rows and r["name"] == name]


def peak(runs: list[dict], rows: int, name: str) -> float | None:
    mine = [r["peak_rss_mb"] for r in at(runs, rows, name) if "peak_rss_mb" in r]
    return max(mine) if mine else None


def wall(runs: list[dict], rows: int, name: str) -> float | None:
    mine = [r["wall"] for r in at(runs, rows, name)]
    return median(mine) if mine else None


def cpu_ratio(runs: list[dict], rows: int) -> str:
    repro = [r["cpu"] for r in at(runs, rows, "dvc repro") if "cpu" in r]
    base = [r["cpu"] for r in at(runs, rows, "baseline_gx") if "cpu" in r]
    return f"{median(repro) / median(base):.2f}×" if repro and base else "n/a"


def largest_stage(runs: list[dict], rows: int) -> tuple[str, float]:
    peaks = {s: peak(runs, rows, s) or 0.0 for s in STAGES}
    name = max(peaks, key=peaks.get)
    return name, peaks[name]


def goals(results: dict, rows: int | None = None) -> dict | None:
    """The goal ratios at ``rows`` (default: the largest size measured), or None when that
    run has no baseline at that size (runs of template versions before it was measured)."""
    runs = results.get("scale", {}).get("runs", [])
    if not runs:
        return None
    rows = rows or max(r["rows"] for r in runs)
    base_wall, base_peak = wall(runs, rows, "baseline_gx"), peak(runs, rows, "baseline_gx")
    if not base_wall or not base_peak:
        return None
    _, largest = largest_stage(runs, rows)
    return {
        "rows": rows,
        "repro": wall(runs, rows, "dvc repro") / base_wall,
        "peaks": {s: (peak(runs, rows, s) or 0.0) / base_peak for s in STAGES},
        "largest_gib": largest / 1024,
    }


def goal_lines(results: dict, before: list[dict]) -> list[str]:
    now = goals(results)
    if now is None:
        return []
    rows = now["rows"]
    earlier = [(run, goals(run, rows)) for run in before if "scale" in run]
    heads = [f"`{run.get('template_commit')}` ({run['date']})" for run, _ in earlier]
    limit = MACHINE_GIB - OS_ROOM_GIB

    def row(label: str, pick, goal: float, unit: str) -> str:
        cells = ["not measured" if g is None else f"{pick(g):.2f}{unit}" for _, g in earlier]
        value = pick(now)
        verdict = "met" if value <= goal else "**not met**"
        return f"| {label} | " + " | ".join([*cells, f"{value:.2f}{unit}", verdict]) + " |"

    lines = [
        f"### Goals at {rows_label(rows)} rows",
        "",
        "| goal | " + " | ".join([*heads, "now", "verdict"]) + " |",
        "| --- |" + " ---: |" * (len(heads) + 1) + " --- |",
        row(
            f"whole `dvc repro` / baseline (a), at most {REPRO_GOAL:g}×",
            lambda g: g["repro"],
            REPRO_GOAL,
            "×",
        ),
    ]
    for stage in STAGES:
        lines.append(
            row(
                f"stage `{stage}` peak memory / baseline (a)'s peak, at most {PEAK_GOAL:g}×",
                lambda g, s=stage: g["peaks"][s],
                PEAK_GOAL,
                "×",
            )
        )
    lines.append(
        row(
            f"largest peak of one process, at most {limit} GiB ({MACHINE_GIB} GiB less "
            f"{OS_ROOM_GIB} GiB for the OS and DVC)",
            lambda g: g["largest_gib"],
            limit,
            " GiB",
        )
    )
    if earlier:
        lines += [
            "",
            "Earlier columns: `bench/results-before-*.json` with a scale run; *not measured*: "
            "that run had no baseline at this size.",
        ]
    return lines


def tables(results: dict, before: list[dict] | None = None) -> list[str]:
    runs = results.get("scale", {}).get("runs", [])
    if not runs:
        return ["(not measured in this run)"]
    sizes = sorted({r["rows"] for r in runs})
    memory = results["machine"].get("memory_gib")
    lines = [
        *goal_lines(results, before or []),
        "",
        "### Against the baseline, per size",
        "",
        "Wall time in seconds, median (min–max) over the runs; peak resident memory of one "
        "process in MB (largest over the runs). Baseline (a) runs after each `dvc repro`, "
        f"on the file the ingest stage wrote (`{results['scale'].get('raw_data', '?')}`).",
        "",
        "| rows | runs | `dvc repro` s | baseline (a) s | ratio | CPU s ratio | "
        "largest stage peak MB | baseline (a) peak MB | ratio | largest peak / machine memory "
        "| metrics |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for rows in sizes:
        base = at(runs, rows, "baseline_gx")
        repro = [r["wall"] for r in at(runs, rows, "dvc repro")]
        name, largest = largest_stage(runs, rows)
        if not base:
            lines.append(
                f"| {rows_label(rows)} | {len(repro)} | {spread(stat(repro))} | not measured "
                f"| | | {largest:.0f} ({name}) | | | | |"
            )
            continue
        walls = [r["wall"] for r in base]
        base_peak = peak(runs, rows, "baseline_gx")
        share = f"{largest / 1024 / memory:.0%}" if memory else "n/a"
        same = "identical" if all(r.get("metrics_equal") for r in base) else "**differ**"
        lines.append(
            f"| {rows_label(rows)} | {len(repro)} | {spread(stat(repro))} | "
            f"{spread(stat(walls))} | {median(repro) / median(walls):.2f}× | "
            f"{cpu_ratio(runs, rows)} | {largest:.0f} ({name}) | {base_peak:.0f} | "
            f"{largest / base_peak:.2f}× | "
            f"{share} of {memory} GiB | {same} |"
        )
    lines += [
        "",
        "*CPU s ratio*: user and system seconds of the whole `dvc repro` (DVC and its stage "
        "processes) over the baseline's, medians; other work on the machine changes them less "
        "than wall time. *Metrics*: `reports/metrics.json` against the baseline's "
        "`metrics.json`, every run.",
        "",
        "### Each stage",
        "",
        "| rows | " + " | ".join(STAGES) + " | DVC itself |",
        "| ---: |" + " ---: |" * (len(STAGES) + 1),
    ]
    for rows in sizes:
        mine = [r for r in runs if r["rows"] == rows]
        rounds = sorted({r["round"] for r in mine})
        cells = [spread(stat([r["wall"] for r in at(runs, rows, s)])) for s in STAGES]
        overhead = [
            next(r["wall"] for r in mine if r["name"] == "dvc repro" and r["round"] == n)
            - sum(r["wall"] for r in mine if r["name"] in STAGES and r["round"] == n)
            for n in rounds
        ]
        lines.append(
            f"| {rows_label(rows)} | " + " | ".join([*cells, spread(stat(overhead))]) + " |"
        )
    lines += [
        "",
        "Peak memory of each stage's process in MB, and against baseline (a)'s peak at the "
        "same size:",
        "",
        "| rows | " + " | ".join(STAGES) + " | baseline (a) |",
        "| ---: |" + " ---: |" * (len(STAGES) + 1),
    ]
    for rows in sizes:
        base_peak = peak(runs, rows, "baseline_gx")
        cells = []
        for stage in STAGES:
            mine = peak(runs, rows, stage) or 0.0
            cells.append(f"{mine:.0f} ({mine / base_peak:.2f}×)" if base_peak else f"{mine:.0f}")
        cells.append(f"{base_peak:.0f}" if base_peak else "not measured")
        lines.append(f"| {rows_label(rows)} | " + " | ".join(cells) + " |")
    return lines


def method(results: dict) -> list[str]:
    params = results.get("scale", {}).get("params", {})
    shown = ", ".join(f"`{k}: {v}`" for k, v in params.items())
    return [
        "The whole pipeline (`dvc repro --force`, every stage through `bench/stage.py`) on "
        "synthetic data shaped like the default dataset: 30 float columns and a binary target; "
        "each feature drawn per class from a normal distribution with that class's mean and "
        "standard deviation in the real breast_cancer data, clipped into the bundled suite's "
        "range for the column and rounded to the decimals the real column uses; the real class "
        "balance (`bench/synth.py`). The data goes in as `ingest.source: "
        "data/external/synthetic.parquet`. The bundled suite is used unchanged except its "
        "row-count bounds, widened to rows/2 .. 2×rows (the bundled suite's own 0.5×–2× around "
        "569 rows). The DVC cache is emptied before each run.",
        "",
        "After each `dvc repro`, baseline (a) (`bench/baseline_gx.py DATA params.yaml`) does "
        "the same work in one process: it reads the file the ingest stage wrote, validates it "
        "with the same suite, splits it as `prepare.*` says, trains the estimator `train.*` "
        "names with its section's arguments, and writes the metrics, plot data and reference "
        "profile evaluate writes. It does not convert the source into that file: the ingest "
        "stage's own work is not in the baseline's time.",
        "",
        f"**Model parameters of the scale runs**: {shown}; everything else as generated "
        "(`train.linear.C: 1.0`, a logistic regression with `max_iter=1000`; test split 0.2, "
        "seed 42). A random forest of 100 trees at 10^7 rows would take hours on two cores. "
        "The default-project measurements above use the generated defaults unchanged (random "
        "forest, 100 trees, five permutation-importance repeats).",
    ]


def section(results: dict, before: list[dict] | None = None) -> list[str]:
    return ["## Scale", "", *method(results), "", *tables(results, before), ""]


def verdicts(results: dict) -> list[str]:
    """The goals at the largest size, one line each, for the bench's log."""
    now = goals(results)
    if now is None:
        return []
    at_rows = rows_label(now["rows"])
    limit = MACHINE_GIB - OS_ROOM_GIB
    checks = [("dvc repro / baseline", now["repro"], REPRO_GOAL, "×")]
    checks += [(f"{s} peak / baseline peak", v, PEAK_GOAL, "×") for s, v in now["peaks"].items()]
    checks.append(("largest peak", now["largest_gib"], limit, " GiB"))
    return [
        f"at {at_rows} rows, {name} {value:.2f}{unit} (goal at most {goal:g}{unit}): "
        + ("met" if value <= goal else "not met")
        for name, value, goal, unit in checks
    ]
