"""The drift checks on seeded synthetic batches: no false alarms on batches drawn from the
reference's own distribution, whatever their size, and real shifts caught.

The reference has 5,000 rows and the columns a project meets: symmetric, skewed, discrete
with ties, bounded, with gaps, and two categorical ones."""

import numpy as np
import pandas as pd
import pytest
from mlops_kit.evaluation import profile
from mlops_kit.monitoring import drift, monitor

REFERENCE_ROWS = 5000
SETTINGS = {
    "alpha": 0.05,
    "min_rows": 30,
    "min_effect": 0.1,
    "max_missing_change": 0.05,
    "max_unseen": 0.01,
}
COLOURS = (["red", "green", "blue", "grey", "pink"], [0.4, 0.25, 0.2, 0.1, 0.05])


def draw(rows: int, rng, shift: float = 0.0, new_colour: float = 0.0) -> pd.DataFrame:
    """Rows from the population the reference comes from; ``shift`` moves the mean of
    `normal` by that many standard deviations, ``new_colour`` is the share of a colour
    the reference never saw."""
    frame = pd.DataFrame(
        {
            "normal": rng.normal(10.0, 2.0, rows) + 2.0 * shift,
            "skewed": rng.lognormal(0.0, 1.0, rows),
            "counts": rng.poisson(3.0, rows),
            "bounded": rng.uniform(0.0, 1.0, rows),
            "gappy": rng.normal(0.0, 1.0, rows),
            "colour": rng.choice(COLOURS[0], rows, p=COLOURS[1]).astype(object),
            "member": rng.random(rows) < 0.3,
        }
    )
    frame.loc[rng.random(rows) < 0.1, "gappy"] = np.nan
    if new_colour:
        frame.loc[rng.random(rows) < new_colour, "colour"] = "zebra"
    return frame


@pytest.fixture(scope="module")
def reference() -> dict:
    frame = draw(REFERENCE_ROWS, np.random.default_rng(2024))
    return {name: profile.column_profile(frame[name]) for name in frame.columns}


def flagged(reference: dict, batch: pd.DataFrame) -> dict[str, dict]:
    columns = [
        monitor.column_checks(name, ref, batch[name].to_numpy(dtype=object), SETTINGS)
        for name, ref in reference.items()
    ]
    monitor.judge(columns, SETTINGS)
    return {column["column"]: column for column in columns if column["drift"]}


@pytest.mark.parametrize("rows", [30, 100, 300, 1000, 3000, 30000])
def test_batches_from_the_reference_raise_no_false_alarms(reference, rows):
    rng = np.random.default_rng(rows)
    batches = 60 if rows <= 3000 else 15
    alarms = sum(len(flagged(reference, draw(rows, rng))) for _ in range(batches))
    assert alarms / (batches * len(reference)) <= 0.02, alarms


@pytest.mark.parametrize("rows", [300, 1000, 3000])
def test_a_shift_of_three_tenths_of_a_standard_deviation_is_caught(reference, rows):
    rng = np.random.default_rng(100 + rows)
    batches = 100 if rows == 300 else 40
    results = [flagged(reference, draw(rows, rng, shift=0.3)) for _ in range(batches)]
    caught = sum("normal" in found for found in results)
    assert caught / batches >= 0.95, caught
    others = sum(len(set(found) - {"normal"}) for found in results)
    assert others / (batches * (len(reference) - 1)) <= 0.02


def test_a_large_batch_does_not_flag_a_trivial_shift(reference):
    """With 30,000 rows, a shift of 0.03 SD is significant but too small to matter."""
    rng = np.random.default_rng(7)
    found = [flagged(reference, draw(30000, rng, shift=0.03)) for _ in range(5)]
    assert not any("normal" in f for f in found)


@pytest.mark.parametrize("rows", [300, 3000])
def test_a_new_category_is_flagged_with_examples(reference, rows):
    rng = np.random.default_rng(rows)
    for _ in range(10):
        found = flagged(reference, draw(rows, rng, new_colour=0.05))
        assert "colour" in found
        assert found["colour"]["new_values"]
        assert found["colour"]["unseen_examples"] == ["zebra"]
        assert 0.02 < found["colour"]["unseen"] < 0.09


def test_a_rise_in_missing_values_is_flagged(reference):
    batch = draw(500, np.random.default_rng(3))
    batch.loc[batch.index[:150], "bounded"] = np.nan
    found = flagged(reference, batch)
    assert set(found) == {"bounded"}
    assert [t["test"] for t in found["bounded"]["tests"] if t["drift"]] == ["missing"]


def test_holm_matches_the_step_down_definition():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    adjusted = drift.holm(p)
    expected = {0.005: 0.025, 0.01: 0.04, 0.03: 0.09, 0.04: 0.09, 0.5: 0.5}
    assert adjusted.tolist() == pytest.approx([expected[v] for v in p])
    assert drift.holm([]).tolist() == []


def test_ks_p_value_is_conservative_against_scipys_two_sample_test():
    """The statistic on the reference grid is never larger than the full one."""
    from scipy import stats

    rng = np.random.default_rng(11)
    ref_values = rng.normal(size=2000)
    ref = drift.numeric_profile(ref_values)
    for _ in range(20):
        batch = rng.normal(0.2, 1.0, 200)
        ks = drift.numeric_tests(ref, batch)[0]
        full = stats.ks_2samp(ref_values, batch)
        assert ks["statistic"] <= full.statistic + 1e-12
        assert ks["p"] >= full.pvalue * 0.5
