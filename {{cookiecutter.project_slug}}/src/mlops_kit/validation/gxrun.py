"""Great Expectations on pandas frames, set up once and run frame after frame."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@contextmanager
def quiet() -> Iterator[None]:
    """Keep Great Expectations' warnings and log lines out of the stage's output."""
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _gx_frame(frame):
    """Give text and categorical columns object dtype, which GX type checks understand."""
    from pandas.api import types

    text = [c for c in frame if not types.is_numeric_dtype(frame[c]) and frame[c].dtype != bool]
    return frame.astype(dict.fromkeys(text, object)) if text else frame


class Runner:
    """Great Expectations set up once for ``expectations``, to validate frame after frame."""

    def __init__(self, expectations: list[Any], name: str, examples: int) -> None:
        with quiet():
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            self.suite = gx.ExpectationSuite(name=name, expectations=expectations)
            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            asset = context.data_sources.add_pandas("data").add_dataframe_asset("frame")
            self.definition = asset.add_batch_definition_whole_dataframe("all")
        # Offending values GX keeps per expectation: enough for ``examples`` distinct ones.
        self.partial = 20 + examples
        self.format = {"result_format": "SUMMARY", "partial_unexpected_count": self.partial}

    def validate(self, frame) -> dict[int, Any]:
        """Validate ``frame``; return each GX result by its position in the suite."""
        if not self.suite.expectations:
            return {}
        with quiet():
            parameters = {"dataframe": _gx_frame(frame)}
            batch = self.definition.get_batch(batch_parameters=parameters)
            results = batch.validate(self.suite, result_format=self.format).results
        return {r.expectation_config.meta["position"]: r for r in results}
