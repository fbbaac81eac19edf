"""Write the pipeline report posted on pull requests: verdict, metrics against the baseline,
every model's against the baseline (many models), parameter changes, data validation, what the
model relies on (explanations.py) and the plots, as GitHub Markdown.

    python -m mlops_kit.reporting.report --outcome reports/outcome.json \\
        --compare reports/compare.json \\
        --validation reports/validation.json --plots reports/plots --out reports/ci-report.md

The verdict is the job's outcome (outcome.py): validation failed, a stage failed (named),
a regression, or a pass. A missing input (the pipeline stopped early) gives a section saying
so, not an error; with --job-result and no outcome file, the report says the job ended
before writing one. The sections are written in tables.py (models_section.py for many
models), the plots in charts.py. Standard library only: the comment job renders the report
without installing the project.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from mlops_kit.comparison import importance
from mlops_kit.reporting import charts, models_section, slice_table
from mlops_kit.reporting.markdown import code, plain
from mlops_kit.reporting.tables import (
    metrics_section,
    params_section,
    rules_section,
    validation_section,
)

MARKER = "<!-- mlops-template:pipeline-report -->"  # how comment.py finds its own report
EXPLAIN = "explain-compare.json"  # explanations.py's output, beside compare.json
LIMIT = 65536  # GitHub's maximum comment length, in characters


def verdict(
    compare: dict | None,
    validation: dict | None,
    outcome: dict | None = None,
    job_result: str | None = None,
) -> str:
    state = (outcome or {}).get("state")
    if state == "validation_failed" or (
        state is None and validation is not None and not validation.get("success", False)
    ):
        return "❌ data validation failed"
    if state == "stage_failed":
        stage = outcome.get("stage")
        return f"❌ pipeline failed at stage {code(stage)}" if stage else "❌ dvc repro failed"
    if state == "regressed" or (compare is not None and compare.get("passed") is False):
        if models_section.verdict(compare):
            return models_section.verdict(compare)
        gap = not (compare or {}).get("regressions") and (compare or {}).get("slices", {}).get(
            "failed"
        )
        return "❌ slice gap beyond its limit" if gap else "❌ regression"
    if state == "failed":
        return f"❌ failed at step {code(outcome.get('step'))}"
    if outcome is None and job_result and job_result != "success":
        return f"❌ the pipeline job ended ({plain(job_result)}) before writing its outcome"
    if compare is None:
        return "⚠️ incomplete: no comparison (did the pipeline stop early?)"
    return "✅ pass"


def stopped(outcome: dict | None) -> str | None:
    """Why the comparison is missing, when the job says."""
    if not outcome or outcome.get("state") in (None, "passed", "regressed"):
        return None
    if outcome.get("stage"):
        return f"the pipeline stopped at stage {code(outcome['stage'])}"
    return f"the job stopped at step {code(outcome.get('step'))}"


def render(
    compare: dict | None,
    validation: dict | None,
    plots: list[str],
    title: str = "Pipeline report",
    run_url: str | None = None,
    limit: int = LIMIT,
    outcome: dict | None = None,
    job_result: str | None = None,
    explanation: dict | None = None,
) -> str:
    """The report as Markdown, shorter than ``limit`` characters: plots are dropped first."""
    if outcome is not None:  # what is on disk may be the committed files, not this run's
        validation = validation if outcome.get("validation_fresh", True) else None
        compare = compare if outcome.get("compared", True) else None
    why = stopped(outcome)
    head = f"{MARKER}\n## {plain(title, 80)}: {verdict(compare, validation, outcome, job_result)}"
    where = f"[the workflow run]({run_url})" if run_url else "the workflow run"
    foot = f"Full-resolution plots and reports are in the artifacts of {where}."
    models = models_section.section(compare) if not why else None  # many models
    params = models_section.params_section(compare, why) or params_section(compare, why)
    parts = [metrics_section(compare, why), models, rules_section(compare), params]
    parts += [slice_table.section(compare) if not why else None]
    parts += [validation_section(validation, why and "validation did not run")]
    parts += [] if why else [importance.section(explanation)]
    parts += ["### Plots", *plots] if plots and not why else []
    kept, size, dropped = [], len(head) + len(foot) + 200, 0
    for part in filter(None, parts):
        if size + len(part) + 2 > limit:
            dropped += 1
            continue
        kept.append(part)
        size += len(part) + 2
    if dropped:
        kept.append(f"_{dropped} section(s) left out to fit GitHub's comment size limit._")
    return "\n\n".join([head, *kept, foot]) + "\n"


def read(path: str | None) -> dict | None:
    """The JSON object in ``path``; None when there is no such file or it holds none."""
    if not path or not Path(path).is_file():
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name in ("outcome", "compare", "validation", "plots", "job-result", "out"):
        parser.add_argument(f"--{name}", required=name == "out", default=None)
    parser.add_argument("--title", default="Pipeline report")
    parser.add_argument("--explain", help="explanations.py's output; default: beside --compare")
    args = parser.parse_args(argv)
    env = os.environ
    run_url = None
    if all(env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")):
        run_url = (
            f"{env['GITHUB_SERVER_URL']}/{env['GITHUB_REPOSITORY']}/actions/runs/"
            f"{env['GITHUB_RUN_ID']}"
        )
    compare, validation, outcome = read(args.compare), read(args.validation), read(args.outcome)
    plots = charts.sections(args.plots) if args.plots else []
    beside = Path(args.compare).with_name(EXPLAIN) if args.compare else None
    why = read(args.explain or beside)  # what the model relies on
    result = args.job_result
    text = render(compare, validation, plots, args.title, run_url, LIMIT, outcome, result, why)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    shown = verdict(compare, validation, outcome, args.job_result)
    print(f"report: {shown}; wrote {out} ({len(text)} characters)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
