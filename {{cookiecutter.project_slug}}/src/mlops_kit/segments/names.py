"""Which models a many-models project has: ``train.segment_by`` and the settings around it.

A model's name is its segment's value as text (``12``, never ``12.0``). Names come from the
data, so they are never paths: a model's folder is ``folder(name)``, and a model's shard is
``shard_of(name, shards)``, the same on every machine and Python version.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from mlops_kit import common

# The keys of ``train:`` that say which models there are, not how one is trained.
LAYOUT_KEYS = ("segment_by", "shards", "shard_ids", "min_rows", "overrides")
_PLAIN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def segment_by(train: dict[str, Any]) -> str | None:
    """``train.segment_by``: a column name, or None for one model."""
    column = train.get("segment_by")
    if column is None:
        return None
    if not isinstance(column, str) or not column.strip():
        raise common.UserError(
            f"params.yaml: train.segment_by must be a column name or empty, not {column!r}"
        )
    return column


def name_of(value: Any) -> str:
    """The model name of a segment value: its text, whole numbers without a decimal point."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def folder(name: str) -> str:
    """The folder of the model ``name``: the name itself when it is short, lower-case
    ``[a-z0-9._-]`` and starts with a letter or digit; otherwise a slug of it and 8 hex
    digits of its SHA-256, so that two names never share a folder on any file system."""
    if _PLAIN.fullmatch(name) and not name.endswith("."):
        return name
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "segment"
    return f"{slug}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def shard_of(name: str, shards: int) -> int:
    """The training shard of the model ``name``, out of ``shards``."""
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big") % shards


def shard_count(train: dict[str, Any]) -> int:
    """``train.shards``, checked."""
    shards = common.require(train, "shards", "train")
    if not isinstance(shards, int) or isinstance(shards, bool) or not 1 <= shards <= 256:
        raise common.UserError(
            f"params.yaml: train.shards must be a whole number from 1 to 256, not {shards!r}"
        )
    return shards


def layout(train: dict[str, Any]) -> dict[str, Any]:
    """``train.shards``, ``train.shard_ids``, ``train.min_rows`` and ``train.overrides``
    (names as text), checked, for a project with ``train.segment_by`` set."""
    shards = shard_count(train)
    ids = common.require(train, "shard_ids", "train")
    if ids != list(range(shards)):
        raise common.UserError(
            f"params.yaml: train.shard_ids must list 0 to {shards - 1} ({list(range(shards))}) "
            f"for train.shards: {shards}; dvc.yaml trains one shard per id"
        )
    least = common.require(train, "min_rows", "train")
    if not isinstance(least, int) or isinstance(least, bool) or least < 2:
        raise common.UserError(
            f"params.yaml: train.min_rows must be a whole number of at least 2, not {least!r}"
        )
    overrides = train.get("overrides") or {}
    if not isinstance(overrides, dict):
        raise common.UserError("params.yaml: train.overrides must map model names to settings")
    named: dict[str, dict] = {}
    for key, value in overrides.items():
        if not isinstance(value, dict):
            raise common.UserError(
                f"params.yaml: train.overrides.{name_of(key)} must map train keys to values"
            )
        wrong = sorted(str(k) for k in value if k in LAYOUT_KEYS or k not in train)
        if wrong:
            raise common.UserError(
                f"params.yaml: train.overrides.{name_of(key)}.{wrong[0]} is not a shared "
                "train: setting; an override changes keys of train: such as model, seed, "
                "or a model's section"
            )
        named[name_of(key)] = value
    return {"shards": shards, "min_rows": least, "overrides": named}


def shared(train: dict[str, Any]) -> dict[str, Any]:
    """The settings every model shares: ``train:`` without the layout keys."""
    return {key: value for key, value in train.items() if key not in LAYOUT_KEYS}


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` laid over it, mappings merged key by key."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged
