"""The service's request body as JSON schemas: every input column with its type, bounds and
values, as the expectation suite sets them, for the OpenAPI document (/docs)."""

from __future__ import annotations

from typing import Any, Literal

from mlops_kit.serving import input_rules

TYPES = {"number": float, "integer": int, "boolean": bool, "text": str, "any": Any}


def row_model(checks: list[input_rules.Column]):
    """A pydantic model of one input row, for the OpenAPI schema: each column, its type,
    bounds and values."""
    from pydantic import Field, create_model

    fields = {}
    for number, rule in enumerate(checks):
        kind = TYPES[rule.kind]
        if rule.allowed and rule.kind in ("text", "integer"):
            kind = Literal[tuple(rule.allowed)]
        bounds = {"ge": rule.low, "le": rule.high} if rule.kind in ("number", "integer") else {}
        bounds = {k: v for k, v in bounds.items() if v is not None}
        default = None if rule.nullable else ...
        kind = kind | None if rule.nullable else kind
        fields[f"f{number}"] = (kind, Field(default, alias=rule.name, **bounds))
    return create_model("Row", **fields)


def components(checks: list[input_rules.Column]) -> dict[str, Any]:
    """The request body's JSON schemas, as OpenAPI components."""
    from pydantic import BaseModel, create_model

    class DataframeSplit(BaseModel):
        columns: list[str]
        data: list[list[Any]]

    row = row_model(checks)
    body = create_model(
        "Invocation",
        dataframe_records=(list[row] | None, None),
        dataframe_split=(DataframeSplit | None, None),
    )
    found = body.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True)
    return {**found.pop("$defs", {}), "Invocation": found}
