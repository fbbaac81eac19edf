"""Write BENCHMARKS.md and its plot from the results of ``run.py``.

    python bench/report.py RESULTS_JSON OUT_DIR [EARLIER_RESULTS_JSON...]

Called by ``run.py`` at the end of a run; runnable alone to re-render saved results.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The goal for the first dvc repro against the same-libraries baseline.
TARGET = 2.0
STAGES = ("ingest", "validate", "prepare", "train", "evaluate")
DEFAULT_STEPS = (
    ("generation", "Generation: `cookiecutter --no-input` and the hooks (git, DVC, first commit)"),
    ("setup", "Environment set-up: the project's `python3 tasks.py setup`, warm uv cache"),
    ("very first dvc repro", "Very first `dvc repro` after set-up (warm-up, not in the rounds)"),
    ("first dvc repro", "First `dvc repro` (no outputs, no lock, empty DVC cache)"),
    ("first dvc repro, instrumented", "First `dvc repro`, stages run through `bench/stage.py`"),
    ("dvc status", "`dvc status` with everything up to date"),
    ("no-op dvc repro", "No-op `dvc repro`"),
    ("dvc repro after a train parameter", "`dvc repro` after changing `train.seed`"),
    ("project tests", "The project's own tests: `python3 tasks.py test -q`"),
    ("baseline_gx", "Baseline (a), same libraries: `bench/baseline_gx.py`"),
    ("baseline_pandas", "Baseline (b), plain pandas: `bench/baseline_pandas.py`"),
)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def seconds(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def spread(stat: dict) -> str:
    if stat["n"] == 1:
        return f"{seconds(stat['median'])} (1 run)"
    return f"{seconds(stat['median'])} ({seconds(stat['min'])}–{seconds(stat['max'])})"


def ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "n/a"
    return f"{a / b:.2f}×"


def headline(results: dict) -> dict[str, float | None]:
    """The four headline ratios: ratio of medians, all measured in the same run."""
    timings = results.get("default", {}).get("timings", {})

    def mid(name: str) -> float | None:
        return timings[name]["median"] if name in timings else None

    def over(a: str, b: str) -> float | None:
        return mid(a) / mid(b) if mid(a) and mid(b) else None

    validation = results.get("validation", {}).get("runs", [])
    at = 10**6
    if validation and not any(r["rows"] == at for r in validation):
        at = max(r["rows"] for r in validation)
    gx = median([r["wall"] for r in validation if r["rows"] == at and r["name"] == "validate"])
    pandas = median([r["wall"] for r in validation if r["rows"] == at and r["name"] == "pandas"])
    return {
        "first dvc repro / same-libraries baseline": over("first dvc repro", "baseline_gx"),
        "first dvc repro / plain-pandas baseline": over("first dvc repro", "baseline_pandas"),
        f"validation / plain pandas at {rows_label(at)} rows": (
            gx / pandas if validation else None
        ),
        "no-op dvc repro / dvc status": over("no-op dvc repro", "dvc status"),
    }


def rows_label(rows: int) -> str:
    exponent = len(str(rows)) - 1
    return f"10^{exponent}" if rows == 10**exponent else f"{rows:,}"


def round_ratios(results: dict, a: str, b: str) -> str:
    timings = results["default"]["timings"]
    pairs = list(zip(timings[a]["values"], timings[b]["values"], strict=False))
    values = [x / y for x, y in pairs]
    return f"{min(values):.2f}–{max(values):.2f}" if len(values) > 1 else ""


def breakdown_table(results: dict) -> tuple[list[str], dict]:
    """Per stage of the instrumented first repro: wall, imports, work, peak memory."""
    default = results["default"]
    entries = default["breakdown"]
    rows = {}
    names = [*STAGES, "baseline_gx", "baseline_pandas"]
    for name in names:
        mine = [e for e in entries if e["name"] == name]
        if not mine:
            continue
        rows[name] = {
            "wall": median([e["wall"] for e in mine]),
            "imports": median([e["imports"] for e in mine]),
            "work": median([e["work"] for e in mine]),
            "peak": max(e["peak_rss_mb"] for e in mine),
        }
    instrumented = default["timings"]["first dvc repro, instrumented"]["values"]
    overheads = []
    for number, wall in enumerate(instrumented):
        stages = [e["wall"] for e in entries if e["round"] == number and e["name"] in STAGES]
        overheads.append(wall - sum(stages))
    rows["dvc"] = {"wall": median(overheads)}
    lines = [
        "| | wall s | imports s | work s | imports share | peak MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in rows.items():
        if name == "dvc":
            label = "DVC itself (repro wall − sum of stage walls)"
            lines.append(f"| {label} | {seconds(row['wall'])} | | | | |")
            continue
        label = f"stage `{name}`" if name in STAGES else f"`{name}.py` (one process)"
        if name == "baseline_gx":
            total = sum(rows[s]["wall"] for s in STAGES if s in rows)
            imports = sum(rows[s]["imports"] for s in STAGES if s in rows)
            lines.append(
                f"| **sum of the five stages** | {seconds(total)} | {seconds(imports)} | "
                f"{seconds(total - imports)} | {imports / total:.0%} | |"
            )
        lines.append(
            f"| {label} | {seconds(row['wall'])} | {seconds(row['imports'])} | "
            f"{seconds(row['work'])} | {row['imports'] / row['wall']:.0%} | {row['peak']:.0f} |"
        )
    return lines, rows


def stat(values: list[float]) -> dict:
    return {"median": median(values), "min": min(values), "max": max(values), "n": len(values)}


def validation_table(results: dict) -> list[str]:
    runs = results.get("validation", {}).get("runs", [])
    if not runs:
        return ["(not measured in this run)"]
    lines = [
        "| rows | runs | validate stage s | of which imports s | pandas checks s | "
        "of which imports s | ratio | validate peak MB | pandas peak MB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for rows in sorted({r["rows"] for r in runs}):
        gx = [r for r in runs if r["rows"] == rows and r["name"] == "validate"]
        pd = [r for r in runs if r["rows"] == rows and r["name"] == "pandas"]
        gx_wall, pd_wall = stat([r["wall"] for r in gx]), stat([r["wall"] for r in pd])
        lines.append(
            f"| {rows_label(rows)} | {len(gx)} | {spread(gx_wall)} | "
            f"{seconds(median([r['imports'] for r in gx]))} | {spread(pd_wall)} | "
            f"{seconds(median([r['imports'] for r in pd]))} | "
            f"{ratio(gx_wall['median'], pd_wall['median'])} | "
            f"{max(r['peak_rss_mb'] for r in gx):.0f} | {max(r['peak_rss_mb'] for r in pd):.0f} |"
        )
    return lines


def plot(results: dict, target: Path) -> bool:
    """Time and memory against rows: the validation comparison and each pipeline stage."""
    scale_runs = results.get("scale", {}).get("runs", [])
    checks = results.get("validation", {}).get("runs", [])
    if not scale_runs and not checks:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    series = [(f"stage {s}", scale_runs, s, "-") for s in STAGES]
    series += [("baseline (a), one process", scale_runs, "baseline_gx", "k:")]
    series += [("validate stage (GX)", checks, "validate", "--")]
    series += [("pandas checks", checks, "pandas", "--")]
    for label, runs, name, style in series:
        sizes = sorted({r["rows"] for r in runs if r["name"] == name})
        if not sizes:
            continue
        picked = [[r for r in runs if r["rows"] == n and r["name"] == name] for n in sizes]
        walls = [median([r["wall"] for r in runs_at]) for runs_at in picked]
        peaks = [max(r["peak_rss_mb"] for r in runs_at) for runs_at in picked]
        left.plot(sizes, walls, style, marker="o", label=label)
        right.plot(sizes, peaks, style, marker="o", label=label)
    totals = sorted({r["rows"] for r in scale_runs if r["name"] == "dvc repro"})
    if totals:
        walls = [
            median([r["wall"] for r in scale_runs if r["rows"] == n and r["name"] == "dvc repro"])
            for n in totals
        ]
        left.plot(totals, walls, "k-", marker="s", linewidth=2, label="whole `dvc repro`")
    for axis, title, unit in ((left, "Wall time", "seconds"), (right, "Peak memory", "MB")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("rows of synthetic data")
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)
    figure.suptitle(
        f"Pipeline stages (scale params: {results.get('scale', {}).get('params', {})}) and "
        "validation cost",
        fontsize=9,
    )
    figure.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=110)
    plt.close(figure)
    return True


def machine_lines(results: dict) -> list[str]:
    m = results["machine"]
    v = results.get("versions", {})
    bytecode = (
        "set: Python writes no bytecode cache here, so whatever was not compiled at install "
        "time is compiled again by every process"
        if m.get("PYTHONDONTWRITEBYTECODE")
        else "not set"
        if "PYTHONDONTWRITEBYTECODE" in m
        else "not recorded"
    )
    return [
        f"- {m.get('cores')} cores ({m.get('usable_cores')} usable), "
        f"{m.get('memory_gib')} GiB memory, {m.get('cpu', 'unknown CPU')}, no GPU",
        f"- {m.get('platform')}; the bench ran on Python {m.get('python')}, the generated "
        f"project on Python {v.get('python', '?')}",
        "- generated project: " + ", ".join(f"{k} {val}" for k, val in v.items() if k != "python"),
        f"- load average (1, 5, 15 min) at start {results.get('load_at_start')}, at end "
        f"{results.get('load_at_end')}: other work on the machine makes absolute seconds noisy; "
        "the ratios are measured in one run, interleaved",
        f"- `PYTHONDONTWRITEBYTECODE` {bytecode}",
    ]


def write_report(results: dict, out: Path, before: list[dict] | None = None) -> Path:
    """Write BENCHMARKS.md (and the PNG beside or under it) into ``out``; return its path."""
    out = Path(out)
    at_root = out.resolve() == ROOT
    png = out / ("bench/benchmarks.png" if at_root else "benchmarks.png")
    has_plot = plot(results, png)
    now = headline(results)
    lines = [
        "# Benchmarks",
        "",
        "What the generated pipeline costs against the simplest hand-written script doing the "
        "same work, measured on one machine in one run. Regenerate with "
        "`python3 tasks.py bench` (this file, `bench/benchmarks.png`, `bench/results.json`); "
        "`python3 tasks.py bench --size smallest` is the quick version CI runs.",
        "",
        f"Run: {results['date']}, template commit `{results.get('template_commit')}`, "
        f"size `{results['size']}`, whole bench {results['bench_wall'] / 60:.1f} min.",
        "",
        *kept_lines(results),
        "## Headline ratios",
        "",
        "Ratios of medians, both sides measured in the same run (interleaved in rounds).",
        "",
    ]
    if before:
        heads = [headline(run) for run in before]
        lines += [
            "| | "
            + " | ".join(f"`{run.get('template_commit')}` ({run['date']})" for run in before)
            + " | now |",
            "| --- |" + " ---: |" * (len(before) + 1),
        ]
        for position, (name, value) in enumerate(now.items()):
            shown = []
            for run, head in zip(before, heads, strict=True):
                old = list(head.values())[position]
                part = "validation" if name.startswith("validation") else "default"
                if old is None and part not in run:
                    shown.append("not rerun")
                else:
                    shown.append(fmt(old))
            lines.append(f"| {name} | " + " | ".join(shown) + f" | {fmt(value)} |")
        lines += [
            "",
            "Earlier columns: committed results of the same command on earlier template "
            "versions (`bench/results-before-*.json`); *not rerun*: that run did not measure "
            "this part.",
        ]
    else:
        lines += ["| | now |", "| --- | ---: |"]
        lines += [f"| {name} | {fmt(value)} |" for name, value in now.items()]
    if "default" in results:
        spread_a = round_ratios(results, "first dvc repro", "baseline_gx")
        spread_b = round_ratios(results, "first dvc repro", "baseline_pandas")
        target = now["first dvc repro / same-libraries baseline"]
        lines += [
            "",
            f"Per round, first repro / baseline ranged {spread_a or 'n/a'} (same libraries) and "
            f"{spread_b or 'n/a'} (plain pandas). Target for the first ratio: at most "
            f"{TARGET:g}×; {'met' if target and target <= TARGET else 'not met'} in this run.",
        ]
        equal = results["default"]["baseline_metrics_equal"]
        lines += [
            "",
            "The baselines compute the same metrics as the pipeline: "
            + ", ".join(f"`{k}` {'identical' if v else '**differ**'}" for k, v in equal.items())
            + " (`reports/metrics.json` against each baseline's `metrics.json`).",
        ]
    lines += ["", "## Machine", "", *machine_lines(results), ""]
    if "default" in results:
        lines += default_section(results, before)
    if "validation" in results:
        raw = results["validation"].get("raw_data", "data/raw/data.csv")
        lines += ["## Validation cost", "", *validation_method(raw), ""]
        lines += [*validation_table(results), ""]
    if "scale" in results:
        from scale_report import section

        lines += section(results, before)
    if has_plot:
        lines += [f"![Time and memory against rows]({png.relative_to(out).as_posix()})", ""]
    if "use" in results:
        from use import section

        lines += section(results["use"])
    if "many" in results:
        import many

        noop = (results.get("default") or {}).get("timings", {}).get("no-op dvc repro")
        lines += many.section(results["many"], noop["median"] if noop else None)
    lines += faster_lines(results)
    lines += method_lines()
    text = "\n".join(lines).rstrip() + "\n"
    target = out / "BENCHMARKS.md"
    target.write_text(text, encoding="utf-8")
    return target


def kept_lines(results: dict) -> list[str]:
    kept = results.get("kept_from", {})
    if not kept:
        return []
    parts = [
        f"{key} from the run of {when['date']} (template `{when['template_commit']}`)"
        for key, when in kept.items()
    ]
    return [
        "This run measured one part only; the other sections are kept from an earlier run: "
        + "; ".join(parts)
        + ". Headline ratios still compare numbers measured in one run each.",
        "",
    ]


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def default_section(results: dict, before: dict | None) -> list[str]:
    default = results["default"]
    timings = default["timings"]
    lines = [
        "## Generated project, default answers",
        "",
        f"Median (min–max) over {default['repeats']} runs unless stated; peak memory is the "
        "largest resident size of any one process in the command's tree.",
        "",
        "| step | seconds | peak MB |",
        "| --- | ---: | ---: |",
    ]
    for key, label in DEFAULT_STEPS:
        if key in timings:
            lines.append(
                f"| {label} | {spread(timings[key])} | {default['peak_rss_mb'][key]:.0f} |"
            )
    act = default.get("act")
    if act and "skipped" not in act:
        for stat_ in act.values():
            lines.append(
                "| A pull-request event end to end under act (the Test and Pipeline workflows) | "
                f"{spread(stat_)} | |"
            )
    elif act:
        lines.append(f"| Pull-request workflows under act | skipped: {act['skipped']} | |")
    else:
        lines.append("| Pull-request workflows under act | not run at this size | |")
    table, rows = breakdown_table(results)
    lines += [
        "",
        "## Where the time goes in the first `dvc repro`",
        "",
        "Each stage run through `bench/stage.py` inside a real first `dvc repro` (medians over "
        "the rounds). *Imports* is the time spent inside `import` statements, lazy ones in "
        "functions included; *work* is the rest of the stage's wall time. The baselines are "
        "measured the same way.",
        "",
        *table,
        "",
    ]
    earlier = [run for run in before or [] if "default" in run]
    if earlier:
        tables = [breakdown_table(run)[1] for run in earlier]
        labels = [f"`{run.get('template_commit')}`" for run in earlier] + ["now"]
        lines += [
            "Earlier template versions against now (medians, seconds):",
            "",
            "| | "
            + " | ".join(f"imports {x}" for x in labels)
            + " | "
            + " | ".join(f"wall {x}" for x in labels)
            + " |",
            "| --- |" + " ---: |" * (2 * len(labels)),
        ]
        for name in [*STAGES, "baseline_gx", "baseline_pandas"]:
            if name in rows and all(name in t for t in tables):
                imports = [t[name]["imports"] for t in tables] + [rows[name]["imports"]]
                walls = [t[name]["wall"] for t in tables] + [rows[name]["wall"]]
                lines.append(
                    f"| `{name}` | " + " | ".join(seconds(x) for x in [*imports, *walls]) + " |"
                )
        for key in ("first dvc repro", "baseline_gx", "baseline_pandas", "setup"):
            if all(key in run["default"]["timings"] for run in earlier):
                walls = [run["default"]["timings"][key]["median"] for run in earlier]
                walls.append(timings[key]["median"])
                lines.append(
                    f"| {key} (whole command) |"
                    + " |" * len(labels)
                    + " "
                    + " | ".join(seconds(x) for x in walls)
                    + " |"
                )
        lines.append("")
    return lines


def faster_lines(results: dict) -> list[str]:
    """Where the time goes, largest first, and what was done about it."""
    lines = ["## What to make faster", ""]
    if "default" in results:
        _, rows = breakdown_table(results)
        walls = sum(rows[s]["wall"] for s in STAGES)
        imports = sum(rows[s]["imports"] for s in STAGES)
        ranked = sorted(STAGES, key=lambda s: rows[s]["imports"], reverse=True)
        lines.append(
            f"- Default project, first `dvc repro`: imports are {imports:.1f} s of the five "
            f"stages' {walls:.1f} s ({imports / walls:.0%}); baseline (a) imports the same "
            f"libraries once, in {rows['baseline_gx']['imports']:.1f} s. By stage: "
            + ", ".join(f"{s} {rows[s]['imports']:.1f} s" for s in ranked)
            + f". DVC itself adds {rows['dvc']['wall']:.1f} s. Every stage is a fresh process "
            "that imports pandas again, and prepare, train and evaluate import scikit-learn "
            "again: that repeated import time is the structural cost of one process per stage."
        )
    runs = results.get("scale", {}).get("runs", [])
    if runs:
        top = max(r["rows"] for r in runs)
        mine = [r for r in runs if r["rows"] == top]
        total = median([r["wall"] for r in mine if r["name"] == "dvc repro"])
        shares = {s: median([r["wall"] for r in mine if r["name"] == s]) for s in STAGES}
        ranked = sorted(STAGES, key=shares.get, reverse=True)
        imported = sum(r["imports"] for r in mine if r["name"] in STAGES)
        spent = sum(r["wall"] for r in mine if r["name"] in STAGES)
        csv_share = sum(shares[s] for s in ("ingest", "validate", "prepare")) / total
        lines.append(
            f"- At {rows_label(top)} rows imports are {imported / spent:.0%} of the stages' time; "
            "by stage, share of the whole `dvc repro` "
            f"({seconds(total)} s): "
            + ", ".join(f"{s} {shares[s] / total:.0%}" for s in ranked)
            + f". Ingest, validate and prepare, the stages that write or parse the raw CSV, "
            f"take {csv_share:.0%} together." + scale_against_baseline(mine)
        )
    lines += [
        "- Done: the ingest stage reads scikit-learn's bundled `breast_cancer.csv` and "
        "`wine_data.csv` as package data (found with `importlib.util.find_spec`, parsed as "
        "scikit-learn's loader parses them) instead of importing scikit-learn. Same frame, "
        "checked by a generated-project test against `load_<name>(as_frame=True).frame`; "
        "`reports/metrics.json` of the default project is byte-identical before and after. "
        "`diabetes` still uses the loader, which scales its features with scikit-learn's own "
        "code.",
        "- Done: the generated `tasks.py setup` asks uv to compile the dependencies to "
        "bytecode at install (`uv sync --compile-bytecode`; pip does so by default). Where "
        "`PYTHONDONTWRITEBYTECODE` is set, as on this machine and in many "
        "container images, Python keeps no bytecode cache, so every stage compiled pandas, "
        "scikit-learn and Great Expectations again, seconds per stage; set-up now pays for it "
        "once. Where Python may write its cache, this only moves the first run's compiling "
        "into set-up. The scale project is set up this way in every template version. Not in "
        "`pyproject.toml` for every `uv sync`: the workflows' jobs install afresh on runners "
        "that do keep a bytecode cache, and compiling everything there made the pull-request "
        "event under act take about twice as long.",
        "- Changed back: prepare splits with scikit-learn's own `train_test_split` again, "
        "and so imports scikit-learn (about 1 s more in that stage); a stage ends with the "
        "interpreter's normal exit, no longer `os._exit`. Where a well-kept library does the "
        "job, the kit calls it.",
        "- Done: a stage run as a program calls `gc.freeze()` once its `main()` has written "
        "everything (`common.before_exit`), so that the normal exit skips the collector's "
        "last passes over what pandas, scikit-learn and Great Expectations built (0.2-0.6 s "
        "a stage; it shows in the *DVC itself* row, which counts each stage process's end).",
        "- Done: evaluate predicts the test split once for its metrics, the metrics by slice "
        "and the reference profile (`evaluation/predictions.py`), where each predicted it "
        "before; the importances, which score shuffled copies, use at most "
        "`evaluate.importance.max_rows` rows.",
        "- Already so before: every other stage imports its heavy libraries inside the functions "
        "that use them, Great Expectations only in validate, and no stage imports a plotting "
        "library (the plots are CSV data that `dvc plots` draws).",
    ]
    if "default" in results:
        lines.append(
            "- Left alone: what is left is the price of one process per stage. Validate imports "
            f"Great Expectations ({rows['validate']['imports']:.1f} s, which itself imports "
            "pandas and scipy); ingest, prepare, train and evaluate each import pandas again, "
            "and prepare, train and evaluate scikit-learn again "
            f"({sum(rows[s]['imports'] for s in ('ingest', 'prepare', 'train', 'evaluate')):.1f} s "
            f"together), against {rows['baseline_gx']['imports']:.1f} s of imports for the "
            "one-process baseline. Fewer imports would mean fewer stages."
        )
    lines.append("")
    return lines


def scale_against_baseline(runs: list[dict]) -> str:
    """The sentence comparing the largest size's stages with baseline (a), if it ran."""
    base = [r for r in runs if r["name"] == "baseline_gx"]
    if not base:
        return ""
    wall = median([r["wall"] for r in base])
    stages = {s: median([r["wall"] for r in runs if r["name"] == s]) for s in STAGES}
    work = {s: median([r["work"] for r in runs if r["name"] == s]) for s in STAGES}
    return (
        f" Baseline (a) takes {seconds(wall)} s for the same rows without the conversion into "
        f"that file (ingest's {seconds(stages['ingest'])} s); the other four stages take "
        f"{seconds(sum(stages.values()) - stages['ingest'])} s, of which "
        f"{seconds(sum(work.values()) - work['ingest'])} s is work, not imports."
    )


def validation_method(raw: str) -> list[str]:
    kind = "Parquet" if raw.endswith(".parquet") else "CSV"
    return [
        "The validate stage (`python -m <package>.validate`, Great Expectations) against "
        "`bench/baseline_pandas.py --check`, which checks the same rules of the same suite with "
        f"pandas alone. Both read the same `{raw}` written by the ingest stage, in "
        f"fresh processes, alternating; times include reading the {kind} and the imports. The data "
        "is synthetic (see Scale).",
    ]


def method_lines() -> list[str]:
    return [
        "## How it is measured",
        "",
        "- One command, `python3 tasks.py bench`: generates projects with the real cookiecutter "
        "(`--no-input`, default answers) into `build/bench/`, with their own HOME and git "
        "configuration and the shared uv cache, and sets them up with their own "
        "`python3 tasks.py setup`. DVC and Great Expectations analytics are off.",
        "- Baselines: single scripts in `bench/`, run with the generated project's interpreter "
        "(same library versions): (a) `baseline_gx.py` validates with the same Great "
        "Expectations suite; (b) `baseline_pandas.py` checks the same rules with pandas. Both "
        "load the bundled data, split, train the same model with the same parameters and write "
        "the same metrics and plot data, in one process with no intermediate files. In the "
        "scale runs, (a) reads the file the ingest stage wrote and the project's `params.yaml` "
        "instead, and writes the reference profile too (see Scale).",
        "- Rounds: each round runs baseline (a), baseline (b), then resets the project "
        "(`git reset --hard`, `git clean -fdx` keeping `.venv`: no outputs, no `dvc.lock`, no "
        "DVC cache) and runs the first `dvc repro`, `dvc status`, a no-op `dvc repro`, a "
        "`dvc repro` after a new `train.seed` (a new value each round, so DVC's run cache cannot "
        "answer), and finally, reset again, the instrumented first `dvc repro`. A warm-up round "
        "before (not counted, but listed as *very first*) fills the operating system's file "
        "cache and, where Python may write it, the bytecode cache.",
        "- Wall time is measured around each command; peak memory is `ru_maxrss` from "
        "`os.wait4` (the largest process in the command's tree) or, for a stage, of the "
        "stage's own process.",
        "- Import versus work: `bench/stage.py` runs a stage module as `python -m` would, with "
        "`builtins.__import__` wrapped so that the time spent in the outermost import statement "
        "in progress is summed (nested imports are inside it). DVC's own time is the "
        "instrumented `dvc repro` minus the sum of its stages: DVC's start-up, hashing, lock "
        "and cache writes, and each stage's interpreter start.",
        "- Pull-request workflows: the generated project's `tasks.py ci-local pull_request` "
        "under act, with the template tests' fake GitHub API, a bare git repository as origin "
        "and a folder as DVC remote (`tests/test_workflows.py`'s set-up), on a branch that "
        "changes `train.seed`; a second run updates the same pull request.",
    ]


def main() -> int:
    results = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    before = [json.loads(Path(p).read_text(encoding="utf-8")) for p in sys.argv[3:]]
    print(write_report(results, Path(sys.argv[2]), before=before))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
