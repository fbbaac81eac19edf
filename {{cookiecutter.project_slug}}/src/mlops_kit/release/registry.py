"""What each stage holds: the model registry as this checkout's git tags (GTO's format).

    python -m mlops_kit.release.registry                     # each stage, its version, its tag
    python -m mlops_kit.release.registry --stage production  # only the version, e.g. model@v1.2.0
    python -m mlops_kit.release.registry --history           # every promotion, oldest first
    python -m mlops_kit.release.registry --json              # the same, for machines

Reads tags with two `git for-each-ref` calls (the ML package's stages.py), not `gto show`,
so it stays quick with thousands of tags. Run `git fetch --tags` first to see the latest
promotions. The standard library only: the Promote workflow runs it without an install.
"""

from __future__ import annotations

import argparse
import json
import sys

from mlops_kit.release.stage_tags import STAGES, Promotion, current, history


def listing(found: list[Promotion]) -> list[dict]:
    """One row per stage (the usual ones first): its version now, its tag, its promotions."""
    now = current(found)
    names = [*STAGES, *sorted({p.stage for p in found} - set(STAGES))]
    rows = []
    for stage in names:
        held = now.get(stage)
        rows.append(
            {
                "stage": stage,
                "version": held.version if held else None,
                "tag": held.tag if held else None,
                "commit": held.commit if held else None,
                "promotions": sum(1 for p in found if p.stage == stage and not p.removed),
            }
        )
    return rows


def table(rows: list[dict], columns: list[str]) -> str:
    shown = [[str(row[c] if row[c] is not None else "-") for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in shown)]) for i, c in enumerate(columns)]
    lines = [columns, *shown]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="model", help="the model (dvc.yaml artifacts: entry)")
    parser.add_argument("--stage", help="print only the version this stage holds")
    parser.add_argument("--history", action="store_true", help="every promotion")
    parser.add_argument("--json", action="store_true", help="JSON instead of a table")
    args = parser.parse_args(argv)
    try:
        found = history(args.name, stage=args.stage)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.stage:
        held = current(found).get(args.stage)
        if held is None or held.version is None:
            print(f"error: {args.stage} holds no version of {args.name}", file=sys.stderr)
            return 1
        print(json.dumps(held._asdict()) if args.json else held.version)
        return 0
    if args.history:
        rows = [p._asdict() for p in found]
        columns = ["tag", "version", "commit"]
    else:
        rows, columns = listing(found), ["stage", "version", "tag", "promotions"]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(table([{**r, "commit": (r["commit"] or "")[:7]} for r in rows], columns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
