"""Say how the pipeline job went, from its steps' outcomes and DVC's output, in one place.

    python -m mlops_kit.reporting.outcome --log repro.log --step Install=success \\
        --step "Reproduce the pipeline=failure" ... --out reports/outcome.json

The first step that failed decides: for `dvc repro`, the stage DVC names ("failed to
reproduce 'train'") and, for the validate stage, the validation summary; for the comparison,
the regressed metrics, or the models that fail the gate. Writes {state, step, stage,
message, compared, validation_fresh} for the report, and prints the message as an error.
Exits 1 unless every step succeeded. Standard library only: it runs even when installing
the project failed.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from mlops_kit.reporting.markdown import annotation

FAILED_STAGE = re.compile(r"failed to reproduce '([^']+)'")
REPRO, COMPARE = "Reproduce the pipeline", "Compare with the baseline"


def _json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def ran(log: str, stage: str) -> bool:
    """Whether DVC ran ``stage`` or found it up to date, in this output."""
    return f"Running stage '{stage}'" in log or f"Stage '{stage}' didn't change" in log


def judge(steps: list[tuple[str, str]], log: str, reports: Path) -> dict:
    """The outcome of the steps [(name, outcome)], in order."""
    found = {"state": "passed", "step": None, "stage": None}
    found["validation_fresh"] = ran(log, "validate")
    failed = next((name for name, outcome in steps if outcome == "failure"), None)
    compared = _json(reports / "compare.json") if dict(steps).get(COMPARE) else None
    found["compared"] = compared is not None and dict(steps)[COMPARE] in ("success", "failure")
    if failed is None:
        return {**found, "message": "Every step passed"}
    found.update(state="failed", step=failed, message=f"Step '{failed}' failed")
    if failed == REPRO:
        stages = FAILED_STAGE.findall(log)
        stage = stages[-1] if stages else None
        errors = [line.strip() for line in log.splitlines() if line.startswith("ERROR")]
        found.update(state="stage_failed", stage=stage)
        found["message"] = f"The pipeline failed at stage '{stage}'" if stage else "DVC failed"
        found["message"] += f": {errors[-1]}" if errors else ""
        summary = _json(reports / "validation.json") if found["validation_fresh"] else None
        if stage == "validate" and summary and summary.get("success") is False:
            unmet = summary.get("unsuccessful", "some")
            found.update(state="validation_failed")
            found["message"] = f"Data validation failed (stage 'validate'): {unmet} not met"
    elif failed == COMPARE and compared and compared.get("regressions"):
        names = ", ".join(compared["regressions"])
        found["state"] = "regressed"
        found["message"] = f"The new model is worse than the baseline beyond tolerance: {names}"
    elif failed == COMPARE and compared and (compared.get("models") or {}).get("failed"):
        worse = compared["models"].get("regressed") or []
        names = ", ".join(annotation(name, 60) for name in worse[:3])
        more = f" and {len(worse) - 3} more" if len(worse) > 3 else ""
        found["state"] = "regressed"
        found["message"] = (
            f"{len(worse)} {'model is' if len(worse) == 1 else 'models are'} worse than the "
            f"baseline beyond tolerance: {names}{more}"
        )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--step", action="append", default=[], help="NAME=OUTCOME, in order")
    parser.add_argument("--log", default=None, help="what `dvc repro` printed")
    parser.add_argument("--reports", default="reports")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    steps = [tuple(item.rsplit("=", 1)) for item in args.step if "=" in item]
    log = Path(args.log) if args.log else None
    text = log.read_text(encoding="utf-8", errors="replace") if log and log.is_file() else ""
    found = judge(steps, text, Path(args.reports))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
    if found["state"] == "passed":
        print(f"outcome: passed; wrote {out}")
        return 0
    where = "; see the report in the job summary" if found["state"] != "failed" else ""
    print(f"::error::{found['message']}{where}")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
