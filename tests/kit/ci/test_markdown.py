"""A hostile name (a column, a parameter, a metric, a class) stays inert everywhere the
report shows it: no image, link, HTML or mention, and no broken table."""

import re

import pytest
from mlops_kit.reporting import charts, markdown, report, tables

HOSTILE = "x` | 1 |\n\n![](https://attacker.example/p.png) @octocat"
OTHERS = ["<img src=x onerror=alert(1)>", "[link](https://attacker.example)", "a\\|b", "``"]


def cells(row: str) -> list[str]:
    """The cells of a GFM table row: split on pipes that no backslash escapes."""
    return re.split(r"(?<!\\)\|", row.strip())[1:-1]


def live(text: str) -> list[str]:
    """What GitHub would render as markup in ``text``, outside code spans: images, links,
    HTML tags, mentions and bare URLs (Mermaid blocks are drawn, not rendered as Markdown)."""
    outside = re.sub(r"(?s)```mermaid\n.*?\n```", "", text)
    outside = re.sub(r"(`+)(?:(?!\1).)+?\1", "", outside)
    patterns = [r"!\[", r"(?<!\\)\]\(", r"<[a-z!/]", r"(?<![\w\\])@\w", r"https?://", r"www\."]
    return [p for p in patterns if re.search(p, outside)]


def assert_tables_hold(text: str) -> None:
    """Every row of every table has as many cells as its header."""
    for block in re.findall(r"(?m)^(\|.*\|\n\| ?-+.*\n(?:\|.*\n?)*)", text):
        rows = block.strip("\n").split("\n")
        assert all(len(cells(r)) == len(cells(rows[0])) for r in rows), block


@pytest.mark.parametrize("name", [HOSTILE, *OTHERS])
def test_code_shows_the_name_inert_in_one_cell(name):
    span = markdown.code(name)
    assert "\n" not in span
    assert live(span) == []
    assert len(cells(f"| {span} | 2 |")) == 2


def test_the_hostile_name_is_shown_as_it_is():
    shown = "``x` \\| 1 \\| ![](https://attacker.example/p.png) @octocat``"
    assert markdown.code(HOSTILE, 100) == shown


def test_plain_breaks_markup_mentions_and_links():
    text = markdown.plain(HOSTILE)
    assert "\n" not in text
    assert live(text) == []
    assert "@\u2060octocat" in text


def test_report_with_hostile_names_everywhere(tmp_path):
    compare = {
        "baseline": "a" * 40,
        "baseline_found": True,
        "baseline_info": {"kind": "release", "sha": "a" * 40, "tag": HOSTILE},
        "metrics": [
            {
                "metric": HOSTILE,
                "old": 0.9,
                "new": 0.5,
                "change": -0.4,
                "direction": "higher",
                "tolerance": 0.02,
                "gated": True,
                "status": "regressed",
            }
        ],
        "regressions": [HOSTILE],
        "passed": False,
        "note": f"Worse than {HOSTILE}",
        "rules": {HOSTILE: {"direction": "higher", "tolerance": 0.02}},
        "proposed_rules": {HOSTILE: {"direction": HOSTILE, "tolerance": 0}},
        "params": [{"key": HOSTILE, "old": HOSTILE, "new": [HOSTILE]}],
        "params_compared": True,
        "params_against": HOSTILE,
    }
    validation = {
        "success": False,
        "evaluated": 2,
        "successful": 1,
        "rows": 3,
        "failed": [
            {
                "expectation": HOSTILE,
                "column": HOSTILE,
                "unexpected_count": 1,
                "examples": [HOSTILE],
            }
        ],
    }
    plots = tmp_path / "plots"
    plots.mkdir()
    quoted = '"' + HOSTILE.replace('"', '""') + '"'
    (plots / "confusion.csv").write_text(f"actual,predicted\n{quoted},b\nb,b\n", encoding="utf-8")
    importance = f"feature,importance\n{quoted},0.5\nplain,0.1\n"
    (plots / "feature_importance.csv").write_text(importance, encoding="utf-8")
    sections = charts.sections(plots)
    assert len(sections) == 2
    text = report.render(compare, validation, sections, title=HOSTILE)
    assert text.startswith(report.MARKER)
    text = text.removeprefix(report.MARKER)
    assert live(text) == []
    assert_tables_hold(text)
    for block in re.findall(r"```mermaid\n(.*?)\n```", text, flags=re.DOTALL):
        assert "`" not in block
        assert all(line.count('"') % 2 == 0 for line in block.splitlines())
    for section in (tables.metrics_section(compare), tables.rules_section(compare)):
        assert_tables_hold(section + "\n")


def test_mermaid_labels_carry_no_markup():
    from mlops_kit.reporting.mermaid import label

    shown = label('<b>bold</b> #quot; %%{init}%% `x` "q"', 80)
    assert shown.count('"') == 2
    assert not re.search(r"[<>`]|#quot;|%%", shown)
