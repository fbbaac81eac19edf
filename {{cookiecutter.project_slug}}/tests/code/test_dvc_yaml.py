import importlib.util
import shlex

import pytest
import yaml

PACKAGE = "{{ cookiecutter.package_name }}"
STAGES = ["ingest", "validate", "prepare", "train", "evaluate"]


@pytest.fixture(scope="module")
def dvc(root) -> dict:
    return yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))


def outputs(stage: dict) -> set[str]:
    found = set()
    for kind in ("outs", "metrics", "plots"):
        for item in stage.get(kind, []):
            found |= set(item) if isinstance(item, dict) else {item}
    return found


def test_stages_in_order(dvc):
    assert list(dvc["stages"]) == STAGES


def test_every_stage_runs_its_own_module(dvc, root):
    for name, stage in dvc["stages"].items():
        words = shlex.split(stage["cmd"])
        assert words[:3] == ["python", "-m", f"{PACKAGE}.{name}"], name
        module = f"src/{PACKAGE}/{name}.py"
        assert module in stage["deps"], name
        assert f"src/{PACKAGE}/common.py" in stage["deps"], name
        assert (root / module).is_file(), module
        assert importlib.util.find_spec(f"{PACKAGE}.{name}") is not None


def test_every_path_argument_is_declared(dvc):
    for name, stage in dvc["stages"].items():
        words = shlex.split(stage["cmd"])[3:]
        paths = dict(zip(words[::2], words[1::2], strict=True))
        declared = set(stage["deps"]) | outputs(stage)
        for flag, path in paths.items():
            assert flag.startswith("--"), (name, flag)
            assert path in declared, (name, flag, path)


def test_params_named_in_dvc_yaml_exist(dvc, project_params):
    for stage in dvc["stages"].values():
        for key in stage.get("params", []):
            node = project_params
            for part in key.split("."):
                assert part in node, key
                node = node[part]


def test_top_level_plots_are_written_by_evaluate(dvc):
    folder = next(p for p in outputs(dvc["stages"]["evaluate"]) if not p.endswith(".json"))
    plots = [next(iter(item)) for item in dvc["plots"]]
    assert all(path.startswith(f"{folder}/") for path in plots)
    assert f"{folder}/feature_importance.csv" in plots
