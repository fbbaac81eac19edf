"""Reading a Parquet file batch by batch, and adding up what GX says of each batch."""

from __future__ import annotations

from typing import Any


def _has_nulls(parquet, name: str) -> bool:
    """Whether column ``name`` has a null anywhere: from the row groups' statistics, or
    read (that column alone) when the writer kept none."""
    meta = parquet.metadata
    index = [meta.schema.column(i).path for i in range(meta.num_columns)].index(name)
    stats = [meta.row_group(g).column(index).statistics for g in range(meta.num_row_groups)]
    if all(s is not None and s.has_null_count for s in stats):
        return any(s.null_count for s in stats)
    return parquet.read(columns=[name]).column(0).null_count > 0


def batches_of(parquet, chunk_rows: int):
    """The file's columns as an empty frame, and its batches, each with the dtypes the whole
    file reads as (integers with a null anywhere are float64, such booleans object)."""
    import numpy as np

    empty = parquet.schema_arrow.empty_table().to_pandas()
    casts = {}
    for name, dtype in empty.dtypes.items():
        if isinstance(dtype, np.dtype) and dtype.kind in "iub" and _has_nulls(parquet, name):
            casts[name] = object if dtype.kind == "b" else "float64"
    batches = parquet.iter_batches(batch_size=chunk_rows)
    return empty.astype(casts), (batch.to_pandas().astype(casts) for batch in batches)


class Sums:
    """One row rule's results, added up batch after batch as GX counts the whole table."""

    def __init__(self, partial: int) -> None:
        self.partial, self.first, self.passed = partial, None, True
        self.total, self.missing, self.unexpected = 0, 0, 0
        self.shown: list[Any] = []

    def add(self, result) -> None:
        details = result.result or {}
        if self.first is None or (_raised(result) and not _raised(self.first)):
            self.first = result
        self.passed = self.passed and bool(result.success)
        self.total += details.get("element_count") or 0
        for name in ("missing", "unexpected"):
            value, found = getattr(self, name), details.get(f"{name}_count")
            setattr(self, name, None if value is None or found is None else value + found)
        self.shown += details.get("partial_unexpected_list", [])[: self.partial - len(self.shown)]

    def result(self):
        """GX's result object for the whole table, from the batches' counts.

        Only what the outcome reads (checks.outcome): success by GX's rule for ``mostly``
        (the share of non-missing values that are expected), the unexpected count, the first
        examples, and the observed value of a rule that judges the column's type."""
        from great_expectations.core import ExpectationValidationResult

        first, total, missing, unexpected = self.first, self.total, self.missing, self.unexpected
        mostly = first.expectation_config.kwargs.get("mostly", 1.0)
        considered = total if missing is None else total - missing
        success = self.passed  # an error, or the dtype alone judged (observed_value)
        details = {k: v for k, v in (first.result or {}).items() if k == "observed_value"}
        if unexpected is not None and not _raised(first):
            success = not considered or (considered - unexpected) / considered >= mostly
            details.update(element_count=total, unexpected_count=unexpected)
            details["partial_unexpected_list"] = self.shown
        return ExpectationValidationResult(
            success=success,
            expectation_config=first.expectation_config,
            result=details,
            exception_info=first.exception_info,
        )


def _raised(result) -> bool:
    info = getattr(result, "exception_info", None) or {}
    return bool(info.get("raised_exception")) or any(
        isinstance(v, dict) and v.get("raised_exception") for v in info.values()
    )
