"""Synthetic 'bring your own data' files: categorical columns, missing values."""

from __future__ import annotations

import csv
import random
from pathlib import Path

CITIES = ["Lisbon", "Porto", "Braga", "Faro"]
PLANS = ["basic", "plus", "pro"]


def churn_rows(rows: int = 400, seed: int = 0) -> list[dict[str, object]]:
    """A churn table whose target depends on the features (learnable), with gaps."""
    rng = random.Random(seed)
    table = []
    for _ in range(rows):
        plan = rng.choice(PLANS)
        tenure = rng.randint(0, 72)
        charges = round(rng.uniform(20, 120), 2)
        score = 2.0 * (plan == "basic") - tenure / 24 + charges / 60 + rng.gauss(0, 0.25)
        table.append(
            {
                "tenure_months": tenure,
                "monthly_charges": charges if rng.random() > 0.05 else "",
                "city": rng.choice(CITIES) if rng.random() > 0.05 else "",
                "plan": plan,
                "support_calls": rng.randint(0, 8),
                "spend": round(charges * tenure + rng.gauss(0, 50), 2),
                "churned": "yes" if score > 1.0 else "no",
            }
        )
    return table


def write_csv(path: Path, table: list[dict[str, object]]) -> Path:
    """Write rows of one shape as a CSV file with a header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    return path


def write_churn_csv(path: Path, rows: int = 400, seed: int = 0) -> Path:
    return write_csv(path, churn_rows(rows, seed))


def write_churn_parquet(path: Path, rows: int = 400, seed: int = 0) -> Path:
    import pandas as pd

    frame = pd.DataFrame(churn_rows(rows, seed)).replace("", None)
    frame["monthly_charges"] = frame["monthly_charges"].astype("float64")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return path
