"""The model card published with each model release: MODEL_CARD.md (also the release notes)
and model_card.json, the same data for programs.

The card's data comes from carddata.collect, its Hugging Face front matter from cardfront;
this module writes the Markdown body. The team's own words on intended use and limitations
live in docs/model_card/intended_use.md and are carried into every card as written.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

import yaml

from mlops_kit.github.client import GitHub
from mlops_kit.modelcard import approvals, facts, front_matter, libraries, sections
from mlops_kit.reporting.markdown import code, plain


class Card(NamedTuple):
    markdown: str
    data: dict[str, Any]

    def json_bytes(self) -> bytes:
        return (json.dumps(self.data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _fenced(text: str, lang: str = "") -> list[str]:
    """A code block no backtick run inside can close."""
    fence = "`" * max(3, max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    return [f"{fence}{lang}", text, fence]


def _file(entry: dict[str, Any] | None, what: str) -> str:
    if not entry:
        return f"- {what}: not in dvc.lock (run `dvc repro` and commit dvc.lock)."
    return f"- {what} {code(entry.get('path'))}: DVC md5 {code(entry.get('md5'))} (dvc.lock)."


def _intended(found: dict[str, Any]) -> list[str]:
    if found.get("text") is None:
        return [f"Not written yet: describe it in {code(found['path'])} (see the template's)."]
    return [found["text"].strip()]


def _validation(found: dict[str, Any]) -> list[str]:
    verdict = "passed" if found.get("success") else "FAILED"
    lines = [
        f"{sections.number(found.get('successful'))} of "
        f"{sections.number(found.get('evaluated'))} expectations met on "
        f"{sections.number(found.get('rows'))} rows ({verdict}; reports/validation.json)."
    ]
    for failed in found.get("failed") or []:
        lines.append(f"- {code(failed.get('expectation'))} on {code(failed.get('column'))}")
    return lines


def render(data: dict[str, Any]) -> str:
    """MODEL_CARD.md: the front matter, then the body, from the card's data."""
    model, source, libs = data["model"], data["data"], data["libraries"]
    tag, commit = model["tag"], model["commit"]
    pins = libs["locked"]
    software = "Installed where this model was published (`importlib.metadata`)" + (
        ", beside what `uv.lock` pins (the versions `uv sync --locked` installs); "
        "⚠️ marks a difference."
        if pins is not None
        else "; there is no `uv.lock` to compare them with."
    )
    lines = [
        f"# {plain(model['name'])} {plain(model['version'])}",
        "",
        f"Model {code(model['name'])}, version {code(model['version'])} (git tag {code(tag)}), "
        f"built from commit {code(commit)}. {plain(model['description'])}",
        "",
        f"A {code(model['task'])} model predicting {code(model['target'])} from the other "
        f"columns; {code(model['file'].rsplit('/', 1)[-1])} is a scikit-learn `Pipeline` "
        "saved with joblib (preprocessing included).",
        "",
        "## Intended use and limitations",
        "",
        *_intended(data["intended_use"]),
        "",
        "## Training data",
        "",
        f"- Source: {code(source['source'])} (`ingest.source` in params.yaml).",
        _file(source["raw"], "Raw data"),
        _file(source["prepared"], "Train and test splits"),
        _file(model["dvc"], "Model"),
        f"- {sections.number(source['rows'])} rows in the raw data.",
        "",
        "### Data validation",
        "",
        *_validation(source["validation"]),
        "",
        "## Parameters",
        "",
        *_fenced(yaml.safe_dump(data["params"], sort_keys=False).strip(), "yaml"),
        "",
        "## Metrics (held-out test split)",
        "",
        *sections.metrics(data["metrics"], data["slices"]),
        "",
        "## Slices",
        "",
        *sections.slices(data["slices"]),
        "",
        "## Explanations",
        "",
        *sections.explanations(data["explanations"]),
        "",
        "## Software",
        "",
        software,
        "",
        *libraries.table(libs["installed"], pins),
        "",
        "## Approvals",
        "",
        *sections.approvals(data["approvals"]),
        "",
        "## Get the exact data and model",
        "",
        *_fenced(
            f"git checkout {tag} && dvc pull   # code, data and model of this release\n"
            "dvc repro   # rebuilds what the DVC remote does not hold",
            "bash",
        ),
    ]
    return front_matter.render(data) + "\n" + "\n".join(lines) + "\n"


def from_project(
    name: str, version: str, commit: str, model_path: str, gh: GitHub | None = None
) -> Card:
    """The card of the project in the current folder; ``gh``: the client that reads the
    run's approvals (None: none read)."""
    data = facts.collect(
        name=name,
        version=version,
        commit=commit,
        model_path=model_path,
        approvals=approvals.collect(gh),
    )
    return Card(render(data), data)
