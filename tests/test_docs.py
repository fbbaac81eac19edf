"""Fast tier: the README's table of questions says what cookiecutter.json asks."""

from __future__ import annotations

import json
import re

import pytest
from conftest import TEMPLATE

CODE = re.compile(r"`([^`]*)`")


def questions_table(readme: str) -> list[dict[str, str]]:
    """The rows of the table under "## Questions", as {column: cell}."""
    section = readme.split("\n## Questions\n", 1)[1].split("\n## ", 1)[0]
    lines = [line.strip() for line in section.splitlines() if line.strip().startswith("|")]
    header, _rule, *rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return [dict(zip(header, row, strict=True)) for row in rows]


def documented_questions(readme: str) -> dict[str, dict[str, str | list[str]]]:
    """{question: {"choices": cell, "default": value}}, in the README's order.

    A row may name several questions (`author_name`, `author_email`) with as many defaults,
    in the same order."""
    found: dict[str, dict[str, str | list[str]]] = {}
    for row in questions_table(readme):
        names, defaults = CODE.findall(row["question"]), CODE.findall(row["default"])
        for i, name in enumerate(names):
            default = defaults[i] if len(names) > 1 else row["default"]
            found[name] = {"choices": CODE.findall(row["choices"]), "default": default}
    return found


def asked_questions() -> dict[str, object]:
    """The public questions of cookiecutter.json (keys not starting with `_`), in order."""
    context = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
    return {key: value for key, value in context.items() if not key.startswith("_")}


def test_readme_lists_the_questions_of_cookiecutter_json_in_order():
    documented = documented_questions((TEMPLATE / "README.md").read_text(encoding="utf-8"))
    assert list(documented) == list(asked_questions())


@pytest.mark.parametrize("name", list(asked_questions()))
def test_readme_states_choices_and_default_of(name):
    documented = documented_questions((TEMPLATE / "README.md").read_text(encoding="utf-8"))
    assert name in documented, f"README.md's questions table has no row for `{name}`"
    row, value = documented[name], asked_questions()[name]
    if isinstance(value, list):  # a choice: the same choices in order, the first is the default
        assert row["choices"] == value
        assert row["default"] == f"`{value[0]}`"
    elif "{{" not in value and "{%" not in value:  # a literal text default
        assert CODE.sub(r"\1", row["default"]) == value


def rendered_defaults(**answers: str) -> dict[str, str]:
    """The answers cookiecutter itself derives with --no-input from the given ones."""
    from cookiecutter.generate import generate_context
    from cookiecutter.prompt import prompt_for_config

    context = generate_context(str(TEMPLATE / "cookiecutter.json"), extra_context=answers)
    return dict(prompt_for_config(context, no_input=True))


@pytest.mark.parametrize(
    ("answers", "name", "slug"),
    [
        ({}, "Breast Cancer Classifier", "breast-cancer-classifier"),
        ({"dataset": "wine"}, "Wine Classifier", "wine-classifier"),
        ({"dataset": "diabetes"}, "Diabetes Regressor", "diabetes-regressor"),
        ({"dataset": "custom", "custom_data_path": "~/data/churn.csv"}, "Churn Classifier", None),
    ],
    ids=["defaults", "wine", "diabetes", "custom"],
)
def test_readme_names_the_project_name_each_dataset_gives(answers, name, slug):
    rendered = rendered_defaults(**answers)
    assert rendered["project_name"] == name
    if slug:
        assert rendered["project_slug"] == slug
    cell = documented_questions((TEMPLATE / "README.md").read_text(encoding="utf-8"))
    assert f"`{name}`" in cell["project_name"]["default"]


@pytest.mark.parametrize(
    ("path", "task", "name"),
    [
        ("C:\\data\\house-prices.parquet", "regression", "House Prices Regressor"),
        ("/srv/customer_churn.v2.csv", "classification", "Customer Churn V2 Classifier"),
        ("2024.csv", "classification", "Custom Classifier"),
        ("", "regression", "Custom Regressor"),
    ],
)
def test_custom_project_name_comes_from_the_file_and_task(path, task, name):
    rendered = rendered_defaults(dataset="custom", custom_data_path=path, custom_task=task)
    assert rendered["project_name"] == name
    assert rendered["package_name"].isidentifier()
