"""The model card's front matter, in the Hugging Face model card format.

YAML between `---` lines: `license`, `library_name`, `tags`, `datasets`, `metrics` and a
`model-index` whose one result is the held-out test split (the schema of
huggingface/hub-docs `modelcard.md`). Every scalar is written as a JSON string or number
(ASCII only, so no line break or separator can hide in one): a column or file name, however
odd, stays one value and can neither add a key nor end the block.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# License identifiers of hf.co/docs/hub/repositories-licenses; any other one is "other".
LICENSES = ("mit", "apache-2.0", "bsd-3-clause")
TASKS = {
    "classification": ("tabular-classification", "Tabular Classification"),
    "regression": ("tabular-regression", "Tabular Regression"),
}
PLAIN_KEY = re.compile(r"[a-z][a-z0-9_-]*")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def metadata(data: dict[str, Any]) -> dict[str, Any]:
    """The front matter's content, from the card's data (carddata.collect)."""
    model, source = data["model"], data["data"]
    task_type, task_name = TASKS.get(model["task"], TASKS["classification"])
    spdx = model["license"]
    meta: dict[str, Any] = {"license": spdx.lower() if spdx.lower() in LICENSES else "other"}
    if meta["license"] == "other":
        meta["license_name"] = re.sub(r"[^a-z0-9]+", "-", spdx.lower()).strip("-") or "unknown"
    scored = [row for row in data["metrics"] if _number(row["value"])]
    dataset = {"type": source["source"], "name": source["source"], "split": "test"}
    if (source.get("raw") or {}).get("md5"):
        dataset["revision"] = source["raw"]["md5"]  # the DVC hash of the raw data
    meta.update(
        {
            "library_name": "sklearn",
            "tags": ["sklearn", "tabular", task_type, "dvc", "great-expectations"],
            "datasets": [source["source"]],
            "metrics": [row["name"] for row in scored],
            "model-index": [
                {
                    "name": model["name"],
                    "results": [
                        {
                            "task": {"type": task_type, "name": task_name},
                            "dataset": dataset,
                            "metrics": [
                                {
                                    "type": row["name"],
                                    "value": row["value"],
                                    "name": f"{row['name']} (held-out test split)",
                                }
                                for row in scored
                            ],
                        }
                    ],
                }
            ],
        }
    )
    return meta


def _scalar(value: Any) -> str:
    if isinstance(value, dict | list):  # an empty one: longer ones are blocks
        return "{}" if isinstance(value, dict) else "[]"
    if value is None or isinstance(value, bool) or _number(value):
        return json.dumps(value)
    return json.dumps(str(value), ensure_ascii=True)


def _key(key: str) -> str:
    return key if PLAIN_KEY.fullmatch(key) else _scalar(key)


def _emit(value: Any, indent: int) -> list[str]:
    """Block-style YAML lines for ``value`` (a mapping or list), scalars as JSON."""
    pad, lines = " " * indent, []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines += [f"{pad}{_key(key)}:", *_emit(item, indent + 2)]
            else:
                lines.append(f"{pad}{_key(key)}: {_scalar(item)}")
        return lines
    for item in value:
        if isinstance(item, dict | list) and item:
            inner = _emit(item, indent + 2)
            lines.append(f"{pad}- {inner[0].lstrip()}")
            lines += inner[1:]
        else:
            lines.append(f"{pad}- {_scalar(item)}")
    return lines


def render(data: dict[str, Any]) -> str:
    """The front matter block, `---` lines included."""
    return "\n".join(["---", *_emit(metadata(data), 0), "---"]) + "\n"
