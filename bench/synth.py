"""Write synthetic data shaped like the bundled breast_cancer set, and a suite for it.

    python bench/synth.py ROWS OUT.parquet SUITE_IN SUITE_OUT

Runs with a generated project's interpreter (pandas, numpy, pyarrow, scikit-learn).
Each feature is drawn per class from a normal distribution with that class's mean and
standard deviation in the real data, clipped into the suite's range for the column and
rounded to the decimals the real column uses; the class balance is the real one. The
bundled suite then passes unchanged except for its row-count bounds, which SUITE_OUT
widens to ROWS/2 .. 2*ROWS (the bundled suite's own 0.5x-2x around 569 rows).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer

CHUNK = 1_000_000
SEED = 2024


def decimals(column: pd.Series) -> int:
    """The most decimals any value of the column shows in its shortest form."""
    return max(len(repr(float(v)).split(".")[1].rstrip("0")) for v in column)


def main() -> int:
    rows, out, suite_in, suite_out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    real = load_breast_cancer(as_frame=True).frame
    suite = json.loads(Path(suite_in).read_text(encoding="utf-8"))
    bounds = {}
    for item in suite["expectations"]:
        if item["type"] == "expect_column_values_to_be_between":
            kwargs = item["kwargs"]
            bounds[kwargs["column"]] = (kwargs["min_value"], kwargs["max_value"])
        if item["type"] == "expect_table_row_count_to_be_between":
            item["kwargs"] = {"min_value": rows // 2, "max_value": rows * 2}
    features = [c for c in real.columns if c != "target"]
    rng = np.random.default_rng(SEED)
    share = real["target"].mean()
    parts = []
    for start in range(0, rows, CHUNK):
        size = min(CHUNK, rows - start)
        target = (rng.random(size) < share).astype("int64")
        chunk = {}
        for column in features:
            values = np.empty(size)
            for label in (0, 1):
                mask = target == label
                real_values = real.loc[real["target"] == label, column]
                values[mask] = rng.normal(real_values.mean(), real_values.std(), mask.sum())
            places = decimals(real[column])
            low, high = bounds[column]
            low, high = (
                np.ceil(low * 10**places) / 10**places,
                np.floor(high * 10**places) / 10**places,
            )
            chunk[column] = np.clip(np.round(values, places), low, high)
        chunk["target"] = target
        parts.append(pd.DataFrame(chunk, columns=real.columns))
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    frame.to_parquet(out, index=False)
    with open(suite_out, "w", encoding="utf-8") as handle:
        json.dump(suite, handle, indent=2)
        handle.write("\n")
    print(f"synth: {len(frame)} rows -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
