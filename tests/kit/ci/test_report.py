import re

import pytest
from mlops_kit import common
from mlops_kit.reporting import charts, mermaid, report

NUMBER = r"-?\d+(?:\.\d+)?"
TEXT = r'"[^"`\n]*"'
MERMAID_LINE = re.compile(
    rf"xychart-beta|title {TEXT}|x-axis {TEXT} {NUMBER} --> {NUMBER}"
    rf"|x-axis \[{TEXT}(?:, {TEXT})*\]|y-axis {TEXT}(?: {NUMBER} --> {NUMBER})?"
    rf"|(?:line|bar) \[{NUMBER}(?:, {NUMBER})*\]"
)
NASTY = ['size "big"', "name with `ticks`", "a|b", "x" * 40, "naïve; %% #1"]


def mermaid_blocks(text):
    return re.findall(r"```mermaid\n(.*?)\n```", text, flags=re.DOTALL)


def assert_valid_mermaid(block):
    """Every line is one the xychart grammar accepts, and bars match their categories."""
    lines = [line.strip() for line in block.splitlines()]
    assert lines[0] == "xychart-beta"
    for line in lines:
        assert MERMAID_LINE.fullmatch(line), line
    bands = [line for line in lines if line.startswith("x-axis [")]
    bars = [line for line in lines if line.startswith("bar [")]
    for band, bar in zip(bands, bars, strict=True):
        assert len(re.findall(TEXT, band)) == bar.count(",") + 1


def write_csv(path, header, rows):
    common.ensure_parent(path).write_text(
        "\n".join([header, *(",".join(map(str, row)) for row in rows)]) + "\n", encoding="utf-8"
    )


@pytest.fixture
def classification_plots(tmp_path):
    folder = tmp_path / "plots"
    write_csv(folder / "roc.csv", "fpr,tpr", [(0, 0), (0, 0.5), (0.5, 0.8), (1, 1)])
    write_csv(folder / "precision_recall.csv", "recall,precision", [(1, 0.5), (0.5, 0.9), (0, 1)])
    pairs = [("a", "a")] * 3 + [("a", "b")] + [("b", "b")] * 2 + [("c", "a")]
    write_csv(folder / "confusion.csv", "actual,predicted", pairs)
    quoted = ['"' + name.replace('"', '""') + '"' for name in NASTY]  # CSV quoting
    rows = [(name, 1 - 0.1 * i) for i, name in enumerate(quoted)]
    rows += [(f"f{i}", 0.01 * i) for i in range(12)]
    write_csv(folder / "feature_importance.csv", "feature,importance", rows)
    return folder


@pytest.fixture
def regression_plots(tmp_path):
    folder = tmp_path / "plots"
    actual = [float(v) for v in range(100)]
    write_csv(folder / "predictions.csv", "actual,predicted", [(a, a + 3) for a in actual])
    write_csv(folder / "residuals.csv", "predicted,residual", [(a + 3, -3 + a % 7) for a in actual])
    importance = [("bmi", 0.3), ("s5", -0.01)]
    write_csv(folder / "feature_importance.csv", "feature,importance", importance)
    return folder


F1 = {"metric": "f1_macro", "old": 0.9123, "new": 0.8567, "change": -0.0556, "gated": True}
ACCURACY = {"metric": "accuracy", "old": None, "new": 0.75, "change": None, "gated": False}
COMPARE = {
    "baseline": "main",
    "baseline_found": True,
    "metrics": [
        {**F1, "direction": "higher", "tolerance": 0.02, "status": "regressed"},
        {**ACCURACY, "direction": None, "tolerance": None, "status": "new"},
    ],
    "params": [{"key": "train.model", "old": "random_forest", "new": "linear"}],
    "params_compared": True,
    "regressions": ["f1_macro"],
    "passed": False,
    "note": "Worse than main beyond tolerance: f1_macro",
}
VALIDATION = {"success": True, "evaluated": 45, "successful": 45, "rows": 178, "failed": []}


def test_report_shows_both_values_params_and_validation(classification_plots):
    text = report.render(COMPARE, VALIDATION, charts.sections(classification_plots))
    assert text.startswith(report.MARKER + "\n## ")
    assert "regression" in text.splitlines()[1]
    assert "| metric | baseline | new | change | status |" in text
    assert "| `f1_macro` | 0.9123 | 0.8567 | -0.0556 | ❌ **regressed**" in text
    assert "| `accuracy` | — | 0.75 | — | new · not gated |" in text
    assert "| `train.model` | `random_forest` | `linear` |" in text
    assert "45 of 45 expectations met on 178 rows" in text
    assert "artifacts" in text.splitlines()[-1]


def test_classification_plots(classification_plots):
    text = report.render(COMPARE, VALIDATION, charts.sections(classification_plots))
    blocks = mermaid_blocks(text)
    assert len(blocks) == 3  # ROC, precision-recall, feature importance
    for block in blocks:
        assert_valid_mermaid(block)
    roc = next(b for b in blocks if "ROC" in b)
    assert re.search(r"line \[0\.5, ", roc)  # upper value of the jump at fpr 0
    assert "| **`a`** | **3** | 1 | 0 |" in text
    assert "| **`c`** | 1 | 0 | **0** |" in text
    importance = next(b for b in blocks if "importance" in b)
    assert importance.count('", "') == 9  # top 10 features
    assert "\"size 'big'\"" in importance
    assert "`" not in importance


def test_regression_plots(regression_plots):
    blocks = mermaid_blocks(report.render(None, None, charts.sections(regression_plots)))
    assert len(blocks) == 3  # predicted vs actual, residuals, feature importance
    for block in blocks:
        assert_valid_mermaid(block)
    lines = next(b for b in blocks if "Predicted" in b).count("\n    line [")
    assert lines == 2
    residuals = next(b for b in blocks if "Residuals" in b)
    counts = re.search(r"bar \[(.*)\]", residuals).group(1).split(", ")
    assert len(counts) == 10
    assert sum(map(int, counts)) == 100


def test_parameters_section_says_what_was_compared():
    unchanged = report.render({**COMPARE, "params": []}, None, [])
    assert "No parameter changes since `main`." in unchanged
    rows = [{"key": "train.seed", "old": None, "new": 7}, {"key": "gone", "old": 1, "new": None}]
    text = report.render({**COMPARE, "params": rows}, None, [])
    assert "| `train.seed` | — | 7 |" in text
    assert "| `gone` | 1 | — |" in text


def test_verdicts():
    assert "pass" in report.verdict({**COMPARE, "passed": True}, VALIDATION)
    assert "regression" in report.verdict(COMPARE, VALIDATION)
    assert "validation failed" in report.verdict(COMPARE, {**VALIDATION, "success": False})
    assert "incomplete" in report.verdict(None, VALIDATION)


def test_failed_validation_is_listed():
    problem = {"expectation": "expect_x", "column": "a|b", "unexpected_count": 2}
    failed = {
        **VALIDATION,
        "success": False,
        "successful": 44,
        "failed": [{**problem, "examples": [-1, 999]}],
    }
    text = report.render(None, failed, [])
    assert "44 of 45 expectations met" in text
    assert "| `expect_x` | `a\\|b` | 2 | `[-1, 999]` |" in text
    assert "### Parameters\n\nNot compared: reports/compare.json is missing." in text


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.1, "0.1"), (1e-07, "0.0000001"), (-123456.7, "-123500"), (2.0, "2"), (-0.0, "0")],
)
def test_mermaid_numbers_have_no_exponent(value, text):
    assert mermaid.num(value) == text


def test_resample():
    roc = [(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (1.0, 1.0)]
    assert charts.resample(roc, [0.0, 0.25, 0.75, 1.0], envelope=False) == [0.5, 0.5, 0.75, 1.0]
    pr = [(1.0, 0.4), (0.5, 0.8), (0.2, 0.6), (0.0, 1.0)]
    assert charts.resample(pr, [0.0, 0.3, 0.6], envelope=True) == [1.0, 0.8, 0.4]


def test_report_fits_the_comment_limit(classification_plots):
    params = [{"key": f"k{i}", "old": "x" * 50, "new": "y" * 50} for i in range(40)]
    sections = charts.sections(classification_plots)
    text = report.render({**COMPARE, "params": params}, VALIDATION, sections, limit=4000)
    assert len(text) <= 4000
    assert text.startswith(report.MARKER)
    assert "left out to fit" in text
    assert "artifacts" in text.splitlines()[-1]


def test_main_with_missing_inputs(workdir, monkeypatch):
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "o/r")
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    args = ["--compare", "none.json", "--validation", "none.json", "--plots", "none"]
    assert report.main([*args, "--out", "r/report.md", "--title", "Nightly"]) == 0
    text = (workdir / "r/report.md").read_text(encoding="utf-8")
    assert "## Nightly: ⚠️ incomplete" in text
    assert "(https://github.com/o/r/actions/runs/42)" in text
