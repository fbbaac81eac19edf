import ast
import importlib
import importlib.util
import shlex
from pathlib import Path

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


def module_of(stage: dict) -> str:
    """The package module a stage's cmd runs: <stage>, or spark_<stage> (compute=spark)."""
    return shlex.split(stage["cmd"])[2].removeprefix(f"{PACKAGE}.")


def test_every_stage_runs_its_own_module(dvc, root):
    for name, stage in dvc["stages"].items():
        words = shlex.split(stage["cmd"])
        assert words[:2] == ["python", "-m"], name
        assert module_of(stage) in (name, f"spark_{name}"), name
        module = f"src/{PACKAGE}/{module_of(stage)}.py"
        assert module in stage["deps"], name
        assert (root / module).is_file(), module
        assert importlib.util.find_spec(f"{PACKAGE}.{module_of(stage)}") is not None


def test_every_path_argument_is_declared(dvc):
    for name, stage in dvc["stages"].items():
        words = shlex.split(stage["cmd"])[3:]
        paths = dict(zip(words[::2], words[1::2], strict=True))
        declared = set(stage["deps"]) | outputs(stage)
        for flag, path in paths.items():
            assert flag.startswith("--"), (name, flag)
            assert path in declared, (name, flag, path)


@pytest.mark.parametrize("name", STAGES)
def test_every_stage_accepts_the_arguments_dvc_yaml_gives_it(
    dvc, name, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)  # no params.yaml: a stage that took its arguments says so
    module = importlib.import_module(f"{PACKAGE}.{module_of(dvc['stages'][name])}")
    try:
        code = module.main(shlex.split(dvc["stages"][name]["cmd"])[3:])
    except SystemExit:
        why = capsys.readouterr().err.strip().splitlines()[-1]
        pytest.fail(f"dvc.yaml: the {name} stage refuses its arguments: {why}")
    assert code == 2
    assert "params.yaml not found" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


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


def imports_of(path: Path) -> set[str]:
    """Every module name an import statement of ``path`` may load, anywhere in the file
    (imports inside functions run too), relative imports resolved within the package."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # `from . import x`, `from .x import y`: inside this flat package
                base = ".".join(filter(None, [PACKAGE, base]))
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return found


def modules_run_by(root: Path, stage: str) -> set[str]:
    """The package's files that `python -m <package>.<stage>` executes: __init__.py, the
    stage's module and every package module they import, directly or through each other."""
    folder = root / "src" / PACKAGE
    seen: set[str] = set()
    todo = ["__init__", stage]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for module in imports_of(folder / f"{name}.py"):
            parts = module.split(".")
            if parts[0] == PACKAGE and len(parts) > 1 and (folder / f"{parts[1]}.py").is_file():
                todo.append(parts[1])
    return {f"src/{PACKAGE}/{name}.py" for name in seen}


@pytest.mark.parametrize("name", STAGES)
def test_deps_name_exactly_the_modules_the_stage_runs(dvc, root, name):
    declared = {d for d in dvc["stages"][name]["deps"] if d.startswith(f"src/{PACKAGE}/")}
    used = modules_run_by(root, module_of(dvc["stages"][name]))
    missing, extra = sorted(used - declared), sorted(declared - used)
    assert not missing, f"dvc.yaml: stage {name} runs {missing}; add them to its deps"
    assert not extra, f"dvc.yaml: stage {name} never imports {extra}; remove them from its deps"


@pytest.mark.parametrize("name", STAGES)
def test_no_stage_depends_on_the_ci_package(dvc, root, name):
    for path in sorted(modules_run_by(root, module_of(dvc["stages"][name]))):
        ci = {m for m in imports_of(root / path) if m.split(".")[0] == f"{PACKAGE}_ci"}
        assert not ci, f"{path} imports {sorted(ci)}: the pipeline must not depend on CI code"
    assert not any(d.startswith(f"src/{PACKAGE}_ci/") for d in dvc["stages"][name]["deps"])
