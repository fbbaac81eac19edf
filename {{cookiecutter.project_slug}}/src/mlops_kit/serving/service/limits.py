"""The service's limits: params.yaml's `serve:` section, each overridden by its flag.

Every limit has a default, so a model served with `--release` outside a project (no
params.yaml) starts on them. A value that is not a positive number is refused at start, in
one line naming the setting.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from mlops_kit import common


@dataclass(frozen=True)
class Limits:
    """What one service process allows (with --workers N, each worker allows as much)."""

    max_body_mb: float = 20.0  # request body, 413 beyond (Content-Length or as it streams)
    max_rows: int = 100_000  # rows a request, 413 beyond
    timeout_s: float = 30.0  # waiting for a scoring slot plus scoring, 504 beyond
    header_timeout_s: float = 10.0  # a connection's request head, closed beyond
    body_timeout_s: float = 30.0  # reading the request body, 408 beyond
    keep_alive_s: float = 5.0  # an idle kept-alive connection, closed beyond
    max_concurrent: int = min(4, os.cpu_count() or 1)  # requests scored at once
    max_queue: int = 64  # requests waiting for a slot, 503 with Retry-After beyond
    log_max_mb: float = 100.0  # --log's file, rotated to <log>.1 beyond
    max_models_mb: float = 1024.0  # --models: model files kept loaded, least recently used out

    @property
    def max_body(self) -> int:
        return int(self.max_body_mb * 2**20)

    @property
    def log_max(self) -> int:
        return int(self.log_max_mb * 2**20)


WHOLE = {f.name for f in fields(Limits) if f.type == "int"}


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_flags(parser: argparse.ArgumentParser) -> None:
    """A flag for each limit (--max-body-mb ...); unset, params.yaml's value or the default."""
    for item in fields(Limits):
        parser.add_argument(
            flag(item.name),
            type=int if item.name in WHOLE else float,
            default=None,
            metavar="N",
            help=f"serve.{item.name} (default {item.default:g})",
        )


def checked(name: str, value: Any, where: str) -> int | float:
    whole = name in WHOLE
    good = isinstance(value, int) if whole else isinstance(value, (int, float))
    if isinstance(value, bool) or not good or not value > 0 or value != value:
        kind = "a whole number" if whole else "a number"
        raise common.UserError(f"{where}: {name} must be {kind} above 0, not {str(value)[:40]}")
    if not whole and value == float("inf"):
        raise common.UserError(f"{where}: {name} must be finite")
    return value


def from_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    """params.yaml's `serve:` section: {} without the file or the section."""
    if not Path(path).is_file():
        return {}
    section = common.read_params(path).get("serve")
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise common.UserError(f"{path}: 'serve:' must be a mapping of limits (see the template)")
    unknown = sorted(set(map(str, section)) - {f.name for f in fields(Limits)})
    if unknown:
        raise common.UserError(f"{path}: serve.{unknown[0][:40]} is not a setting of the service")
    return {name: checked(name, value, f"{path} serve") for name, value in section.items()}


def resolve(args: argparse.Namespace, path: str | Path = "params.yaml") -> Limits:
    """The limits: each flag given, else params.yaml's serve: value, else the default."""
    values = from_params(path)
    for item in fields(Limits):
        given = getattr(args, item.name, None)
        if given is not None:
            values[item.name] = checked(item.name, given, flag(item.name))
    return Limits(**values)
