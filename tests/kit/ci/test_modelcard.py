"""The model card: MODEL_CARD.md (Hugging Face front matter, then the body) and model_card.json."""

import json
import platform
from datetime import UTC, datetime
from importlib import metadata

import pytest
import yaml
from mlops_kit import common
from mlops_kit.github.client import GitHub
from mlops_kit.modelcard import approvals, facts, front_matter, libraries
from mlops_kit.modelcard import card as modelcard
from mlops_kit.release import publish
from mlops_kit.reporting import markdown

VALIDATION = {"success": True, "evaluated": 3, "successful": 3, "unsuccessful": 0, "rows": 150}
LOCK = {
    "schema": "2.0",
    "stages": {
        "ingest": {"outs": [{"path": "data/raw/data.parquet", "md5": "a" * 32, "size": 10}]},
        "prepare": {"outs": [{"path": "data/prepared", "md5": "b" * 32 + ".dir"}]},
        "train": {"outs": [{"path": "models/model.joblib", "md5": "c" * 32}]},
    },
}
PYPROJECT = '[project]\nname = "flowers"\ndescription = "Sorts flowers."\nlicense = "MIT"\n'
HOSTILE = 'x\n---\nlicense: evil\n"<img src=x onerror=alert(1)>|@team `a`'
INTERVAL = {"value": 0.91, "low": 0.85, "high": 0.96}
SLICES = {
    "confidence": 0.95,
    "resamples": 1000,
    "min_size": 30,
    "overall": {"f1_macro": INTERVAL},
    "slices": [
        {
            "column": "petal_length",
            "binning": "quartiles",
            "values": [
                {"value": "(0, 1.6]", "n": 40, "gated": True, "metrics": {"f1_macro": INTERVAL}},
                {"value": "(1.6, 4]", "n": 12, "gated": False, "metrics": {"f1_macro": INTERVAL}},
            ],
            "gaps": {
                "f1_macro": {
                    "value": 0.2,
                    "low": 0.05,
                    "high": 0.31,
                    "between": ["(0, 1.6]", "(1.6, 4]"],
                }
            },
        }
    ],
}
EXPLAIN = {
    "features": [{"feature": "petal_width", "importance": 0.31, "std": 0.02}],
    "groups": [
        {
            "group": "petal",
            "members": ["petal_width", "petal_length"],
            "importance": 0.4,
            "std": 0.03,
        }
    ],
    "partial_dependence": [
        {
            "feature": "petal_width",
            "class": "setosa",
            "grid": [0.1, 1.2, 2.5],
            "average": [0.9, 0.4, 0.05],
        }
    ],
}
APPROVED = [
    {
        "state": "approved",
        "comment": "Ship it, see [docs](http://x) @all",
        "environments": [{"id": 1, "name": "model-release", "url": "u", "html_url": "h"}],
        "user": {"login": "octocat", "id": 1, "type": "User"},
    },
    {
        "state": "approved",
        "comment": "other environment",
        "environments": [{"id": 2, "name": "staging"}],
        "user": {"login": "someone", "id": 2, "type": "User"},
    },
]
RUN_ENV = {
    "GITHUB_RUN_ID": "77",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "owner/repo",
    "GITHUB_WORKFLOW": "Publish",
    "GITHUB_EVENT_NAME": "workflow_dispatch",
    "GITHUB_ACTOR": "starter",
    "GITHUB_TRIGGERING_ACTOR": "re-runner",
}
NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
LIBS = {"Python": "3.12.4", "scikit-learn": "1.6.1", "pandas": None}
PINS = {"python": ">=3.12", "scikit-learn": "1.6.1"}


@pytest.fixture
def card_project(workdir, params, set_params):
    """The files a card is made from, in the current folder; returns a function that
    writes the optional reports and makes the card."""
    set_params(params)
    common.ensure_parent("pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    common.write_json("reports/validation.json", VALIDATION)
    common.write_json("reports/metrics.json", {"f1_macro": 0.912345, "roc_auc": None})
    common.write_json("reports/profile.json", {"format": 1, "rows": 3})
    common.ensure_parent("dvc.lock").write_text(yaml.safe_dump(LOCK), encoding="utf-8")

    def make(slices=None, explain=None, found=None) -> modelcard.Card:
        for path, content in ((facts.SLICES, slices), (facts.EXPLAIN, explain)):
            if content is not None:
                common.write_json(path, content)
        data = facts.collect(
            name="model",
            version="v0.1.3",
            commit="f" * 40,
            model_path="models/model.joblib",
            approvals=found or approvals.collect(None, {}, NOW),
            libraries=LIBS,
            pins=PINS,
        )
        return modelcard.Card(modelcard.render(data), data)

    return make


def split(card: modelcard.Card) -> tuple[dict, str]:
    """(the front matter, parsed; the body)."""
    assert card.markdown.startswith("---\n")
    front, body = card.markdown[4:].split("\n---\n", 1)
    return yaml.safe_load(front), body


def section(body: str, title: str) -> str:
    return body.split(f"\n## {title}\n")[1].split("\n## ")[0]


def test_card_has_every_section_and_the_data_lineage(card_project, params):
    card = card_project(SLICES, EXPLAIN)
    front, body = split(card)
    titles = [line[3:] for line in body.splitlines() if line.startswith("## ")]
    assert titles == [
        "Intended use and limitations",
        "Training data",
        "Parameters",
        "Metrics (held-out test split)",
        "Slices",
        "Explanations",
        "Software",
        "Approvals",
        "Get the exact data and model",
    ]
    assert body.startswith("\n# model v0.1.3\n")
    assert "Sorts flowers." in body
    data = section(body, "Training data")
    assert f"`{params['ingest']['source']}`" in data
    assert f"- Raw data `data/raw/data.parquet`: DVC md5 `{'a' * 32}`" in data
    assert f"- Train and test splits `data/prepared`: DVC md5 `{'b' * 32}.dir`" in data
    assert f"`{'c' * 32}`" in data
    assert "150 rows" in data
    assert "3 of 3 expectations met on 150 rows (passed" in data
    assert yaml.safe_load(body.split("```yaml\n")[1].split("```")[0]) == {
        "prepare": params["prepare"],
        "train": params["train"],
    }
    metrics = section(body, "Metrics (held-out test split)")
    assert "| `f1_macro` | 0.9123 | [0.85, 0.96] |" in metrics
    assert "| `roc_auc` | — | not computed |" in metrics
    assert "95% bootstrap, 1000 resamples" in metrics
    slices = section(body, "Slices")
    assert "### `petal_length` (binned: `quartiles`)" in slices
    assert "| `(0, 1.6]` | 40 | 0.91 [0.85, 0.96] |" in slices
    assert "| `(1.6, 4]` (too small to judge) | 12 |" in slices
    gap = "Largest gap in `f1_macro`: 0.2 [0.05, 0.31], between `(0, 1.6]` and `(1.6, 4]`"
    assert gap in slices
    explained = section(body, "Explanations")
    assert "| `petal_width` | 0.31 ± 0.02 |" in explained
    assert "| `petal` | `petal_width`, `petal_length` | 0.4 ± 0.03 |" in explained
    curve = "(class `setosa`): the average prediction goes from 0.05 to 0.9 over 0.1 … 2.5"
    assert curve in explained
    software = section(body, "Software")
    assert "| Python | 3.12.4 | >=3.12 |" in software
    assert "| pandas | not installed ⚠️ | not locked |" in software
    assert "git checkout model@v0.1.3 && dvc pull" in body
    assert card.data["slices"] == SLICES
    assert card.data["explanations"] == EXPLAIN


def test_absent_slices_and_explanations_are_not_computed(card_project):
    card = card_project()
    _, body = split(card)
    assert "| `f1_macro` | 0.9123 | not computed |" in body
    assert "Intervals: not computed" in section(body, "Metrics (held-out test split)")
    assert section(body, "Slices").strip().startswith("Slices: not computed")
    assert section(body, "Explanations").strip().startswith("Explanations: not computed")
    assert card.data["slices"] is None
    assert card.data["explanations"] is None
    assert [row["low"] for row in card.data["metrics"]] == [None, None]


@pytest.mark.parametrize(
    ("path", "content", "problem"),
    [
        (facts.SLICES, [1, 2], "holds no JSON object"),
        (facts.SLICES, {"slices": {"column": "a"}}, "has a `slices` that is not a list"),
        (facts.SLICES, {"slices": [{"values": [3]}]}, "has a `slices` that is not a list"),
        (facts.EXPLAIN, {"features": ["a"]}, "has a `features` that is not a list"),
    ],
)
def test_a_report_of_the_wrong_shape_is_one_line(card_project, path, content, problem):
    with pytest.raises(common.UserError, match=f"{path} {problem}"):
        card_project(**{"slices" if path == facts.SLICES else "explain": content})


def test_odd_values_in_the_reports_are_shown_not_fatal(card_project):
    slices = {
        "confidence": "high",
        "overall": [],
        "slices": [{"column": "a", "values": [{"value": 1, "metrics": []}], "gaps": {"f1": 3}}],
    }
    explain = {"features": [{"feature": "a"}], "partial_dependence": [{"average": 2}]}
    _, body = split(card_project(slices, explain))
    assert "| `f1_macro` | 0.9123 | not computed |" in body
    assert "`high` intervals" in body
    assert "| `a` | — |" in body


def test_intended_use_is_carried_verbatim_or_asked_for(card_project):
    _, body = split(card_project())
    assert "Not written yet: describe it in `docs/model_card/intended_use.md`" in body
    text = "### Intended use\n\nSorting *our* flowers only.\n<!-- who decides? -->"
    common.ensure_parent(facts.INTENDED_USE).write_text(text + "\n", encoding="utf-8")
    card = card_project()
    assert f"## Intended use and limitations\n\n{text}\n\n## Training data" in card.markdown
    assert card.data["intended_use"]["text"] == text + "\n"


def test_front_matter_is_hugging_face_metadata_matching_the_sidecar(card_project):
    card = card_project(SLICES, EXPLAIN)
    front, _ = split(card)
    data = json.loads(card.json_bytes())
    assert front == front_matter.metadata(data)
    assert front["license"] == "mit"
    assert front["library_name"] == "sklearn"
    assert "tabular-classification" in front["tags"]
    assert front["datasets"] == [data["data"]["source"]]
    assert front["metrics"] == ["f1_macro"]  # roc_auc is undefined on this split: left out
    (entry,) = front["model-index"]
    assert entry["name"] == data["model"]["name"]
    (result,) = entry["results"]
    assert result["task"] == {"type": "tabular-classification", "name": "Tabular Classification"}
    assert result["dataset"] == {
        "type": data["data"]["source"],
        "name": data["data"]["source"],
        "split": "test",
        "revision": data["data"]["raw"]["md5"],
    }
    values = {row["name"]: row["value"] for row in data["metrics"]}
    scored = [(m["type"], m["value"]) for m in result["metrics"]]
    assert scored == [("f1_macro", values["f1_macro"])]


def test_a_proprietary_license_is_other_with_a_name(card_project):
    common.ensure_parent("pyproject.toml").write_text(
        PYPROJECT.replace('"MIT"', '"LicenseRef-Proprietary"'), encoding="utf-8"
    )
    front, _ = split(card_project())
    assert (front["license"], front["license_name"]) == ("other", "licenseref-proprietary")


def test_hostile_names_stay_inert_in_front_matter_body_and_sidecar(
    card_project, params, set_params
):
    params["ingest"].update(source=HOSTILE, target=HOSTILE)
    set_params(params)
    common.write_json("reports/metrics.json", {HOSTILE: 0.5})
    explain = {**EXPLAIN, "features": [{"feature": HOSTILE, "importance": 0.1, "std": 0.01}]}
    slices = {**SLICES, "overall": {HOSTILE: INTERVAL}}
    slices["slices"] = [{**SLICES["slices"][0], "column": HOSTILE}]
    card = card_project(slices, explain)
    front, body = split(card)
    assert set(front) == {"license", "library_name", "tags", "datasets", "metrics", "model-index"}
    assert front["license"] == "mit"
    assert front["datasets"] == [HOSTILE]
    assert front["metrics"] == [HOSTILE]
    sidecar = json.loads(card.json_bytes())
    assert front == front_matter.metadata(sidecar)
    assert sidecar["explanations"]["features"][0]["feature"] == HOSTILE
    assert sidecar["data"]["source"] == sidecar["model"]["target"] == HOSTILE
    front_text = card.markdown.split("\n---\n", 1)[0]
    assert "\n---" not in front_text[3:]
    assert "\nlicense: evil" not in front_text
    # In the body the name shows only as a code span or as escaped words.
    inert = body
    for width in (30, 60):
        inert = inert.replace(markdown.code(HOSTILE, width), "NAME")
    inert = inert.replace(markdown.plain(HOSTILE), "NAME")
    assert body.count("onerror") >= 5
    assert "onerror" not in inert
    assert "license: evil" not in inert
    assert "\n---\n" not in body


def test_approvals_are_read_from_the_run(fake_github, card_project):
    fake_github.approvals[77] = APPROVED
    gh = GitHub()
    found = approvals.collect(gh, RUN_ENV, NOW)
    assert found["status"] == "approved"
    assert found["run"]["url"] == "https://github.com/owner/repo/actions/runs/77"
    assert found["run"]["triggering_actor"] == "re-runner"
    assert found["reviews"] == [
        {
            "reviewer": "octocat",
            "state": "approved",
            "comment": APPROVED[0]["comment"],
            "environments": ["model-release"],
        }
    ]
    assert ("GET", "/repos/owner/repo/actions/runs/77/approvals") in fake_github.log
    card = card_project(found=found)
    part = section(split(card)[1], "Approvals")
    assert "Run `https://github.com/owner/repo/actions/runs/77` (`Publish`" in part
    assert "started by `re-runner`" in part
    assert "all before `2026-05-04T12:00:00Z`" in part
    comment = "Ship it, see \\[docs\\]\\(http\\:\u2060//x\\) @\u2060all"
    assert f"| `octocat` | `approved` | {comment} |" in part
    assert card.data["approvals"] == found


def test_no_required_reviewers_and_unreadable_approvals(fake_github, card_project):
    gh = GitHub()
    found = approvals.collect(gh, {**RUN_ENV, "GITHUB_RUN_ATTEMPT": "2"}, NOW)
    assert (found["status"], found["reviews"]) == ("no required reviewers", [])
    assert found["run"]["url"].endswith("/actions/runs/77/attempts/2")
    assert "No required reviewers" in section(split(card_project(found=found))[1], "Approvals")
    fake_github.failures = [(403, {}, "Resource not accessible by integration")]
    found = approvals.collect(gh, RUN_ENV, NOW)
    assert found["status"] == "unreadable"
    assert "403" in found["reason"]
    outside = approvals.collect(gh, {}, NOW)
    assert (outside["status"], outside["run"]) == ("outside GitHub Actions", None)


def test_installed_versions_are_the_running_ones():
    found = libraries.installed()
    names = ["scikit-learn", "pandas", "numpy", "great-expectations", "dvc", "joblib", "pyarrow"]
    assert list(found) == ["Python", *names]
    assert found["Python"] == platform.python_version()
    for name in names:
        assert found[name] == metadata.version(name)
    assert libraries.installed(("no-such-library-here",))["no-such-library-here"] is None


def publishable(commit) -> str:
    """Make the folder a project publish accepts (with the card's files); returns HEAD."""
    dvc_yaml = {"artifacts": {"model": {"path": "models/model.joblib", "type": "model"}}}
    common.ensure_parent("dvc.yaml").write_text(yaml.safe_dump(dvc_yaml), encoding="utf-8")
    common.ensure_parent("models/model.joblib").write_bytes(b"model")
    return commit("a model")


def test_publish_attaches_the_card_and_its_sidecar(card_project, commit, fake_github, monkeypatch):
    card_project(SLICES)
    sha = publishable(commit)
    fake_github.approvals[77] = APPROVED[:1]
    for key, value in RUN_ENV.items():
        monkeypatch.setenv(key, value)
    assert publish.main([]) == 0
    (release,) = fake_github.releases
    assets = {a["name"]: fake_github.assets[a["id"]] for a in release["assets"]}
    sidecar = json.loads(assets["model_card.json"])
    assert assets["MODEL_CARD.md"].decode() == release["body"]
    assert sidecar["model"]["tag"] == "model@v0.1.0"
    assert sidecar["model"]["commit"] == sha
    assert [r["reviewer"] for r in sidecar["approvals"]["reviews"]] == ["octocat"]
    front = yaml.safe_load(release["body"][4:].split("\n---\n", 1)[0])
    assert front == front_matter.metadata(sidecar)


def test_publish_stops_before_any_write_on_a_report_the_card_cannot_read(
    card_project, commit, fake_github, capsys
):
    card_project()
    common.write_json(facts.EXPLAIN, {"features": {"a": 1}})
    publishable(commit)
    assert publish.main([]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "error: reports/explain.json has a `features` that is not a list of objects; run "
        "`dvc repro` to write it again"
    ]
    assert fake_github.writes == []
