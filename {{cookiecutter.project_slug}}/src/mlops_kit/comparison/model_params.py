"""The training parameters a many-models change edits, and the models each applies to.

`train:` of the baseline's params.yaml against the new one: its shared keys (every model
trains with them, unless its override sets the key) and `train.overrides`, the settings laid
over them for one segment each. Overrides that changed the same way (the same key, from the
same value to the same value) are one row naming every model they apply to, the most
models first. Keys are dotted as `dvc params diff` shows them; a key absent and a key set
to null are both None.
"""

from __future__ import annotations

import json
from typing import Any

from mlops_kit.comparison import diffs

OVERRIDES = "overrides"


def train_of(params: dict[str, Any]) -> dict[str, Any]:
    found = params.get("train") if isinstance(params, dict) else None
    return found if isinstance(found, dict) else {}


def name_of(key: Any) -> str:
    """A segment's model name as the contract writes it: str(value), 12 and not 12.0."""
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


def differ(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """{key, old, new} of every flattened key whose value differs, by key."""
    old, new = diffs.flatten(old, prefix), diffs.flatten(new, prefix)
    keys = sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))
    return [{"key": key, "old": value(old.get(key)), "new": value(new.get(key))} for key in keys]


def value(found: Any) -> Any:
    """``found`` as JSON holds it (YAML's dates as text)."""
    return json.loads(json.dumps(found, default=str))


def overrides_of(train: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = train.get(OVERRIDES)
    if not isinstance(found, dict):
        return {}
    return {name_of(k): v if isinstance(v, dict) else {} for k, v in found.items()}


def changes(old_params: dict[str, Any], new_params: dict[str, Any]) -> dict[str, list[dict]]:
    """{"shared": [{key, old, new}], "overrides": [{key, old, new, models: [names]}]}."""
    old, new = train_of(old_params), train_of(new_params)
    shared = differ(
        {k: v for k, v in old.items() if k != OVERRIDES},
        {k: v for k, v in new.items() if k != OVERRIDES},
        "train.",
    )
    before, after = overrides_of(old), overrides_of(new)
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for name in sorted(set(before) | set(after)):
        for row in differ(before.get(name, {}), after.get(name, {})):
            key = (row["key"], *(json.dumps(row[k], sort_keys=True) for k in ("old", "new")))
            groups.setdefault(key, {**row, "models": []})["models"].append(name)
    overrides = sorted(groups.values(), key=lambda g: (-len(g["models"]), g["key"]))
    return {"shared": shared, "overrides": overrides}
