"""Write the pipeline report posted on pull requests: verdict, metrics against the baseline,
parameter changes, data validation and the plots, as GitHub Markdown.

    python -m <package>_ci.report --compare reports/compare.json \\
        --validation reports/validation.json --plots reports/plots --out reports/ci-report.md

A missing input (the pipeline stopped early) gives a section saying so, not an error. The
sections are written in tables.py, the plots in charts.py.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from {{ cookiecutter.package_name }} import common

from . import charts
from .tables import metrics_section, params_section, validation_section

MARKER = "<!-- mlops-template:pipeline-report -->"  # how comment.py finds its own report
LIMIT = 65536  # GitHub's maximum comment length, in characters


def verdict(compare: dict | None, validation: dict | None) -> str:
    if validation is not None and not validation.get("success", False):
        return "❌ data validation failed"
    if compare is None:
        return "⚠️ incomplete: no comparison (did the pipeline stop early?)"
    return "✅ pass" if compare.get("passed") else "❌ regression"


def render(
    compare: dict | None,
    validation: dict | None,
    plots: list[str],
    title: str = "Pipeline report",
    run_url: str | None = None,
    limit: int = LIMIT,
) -> str:
    """The report as Markdown, shorter than ``limit`` characters: plots are dropped first."""
    head = f"{MARKER}\n## {title}: {verdict(compare, validation)}"
    where = f"[the workflow run]({run_url})" if run_url else "the workflow run"
    foot = f"Full-resolution plots and reports are in the artifacts of {where}."
    parts = [metrics_section(compare), params_section(compare), validation_section(validation)]
    parts += ["### Plots", *plots] if plots else []
    kept, size, dropped = [], len(head) + len(foot) + 200, 0
    for part in parts:
        if size + len(part) + 2 > limit:
            dropped += 1
            continue
        kept.append(part)
        size += len(part) + 2
    if dropped:
        kept.append(f"_{dropped} section(s) left out to fit GitHub's comment size limit._")
    return "\n\n".join([head, *kept, foot]) + "\n"


def _optional_json(path: str | None) -> dict | None:
    if not path or not Path(path).is_file():
        return None
    data = common.read_json(path)
    return data if isinstance(data, dict) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name in ("compare", "validation", "plots", "out"):
        parser.add_argument(f"--{name}", required=name == "out", default=None)
    parser.add_argument("--title", default="Pipeline report")
    args = parser.parse_args(argv)
    env = os.environ
    run_url = None
    if all(env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")):
        run_url = (
            f"{env['GITHUB_SERVER_URL']}/{env['GITHUB_REPOSITORY']}/actions/runs/"
            f"{env['GITHUB_RUN_ID']}"
        )
    try:
        compare, validation = _optional_json(args.compare), _optional_json(args.validation)
    except common.UserError as exc:
        return common.fail(exc)
    plots = charts.sections(args.plots) if args.plots else []
    text = render(compare, validation, plots, args.title, run_url)
    common.ensure_parent(args.out).write_text(text, encoding="utf-8")
    print(f"report: {verdict(compare, validation)}; wrote {args.out} ({len(text)} characters)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
