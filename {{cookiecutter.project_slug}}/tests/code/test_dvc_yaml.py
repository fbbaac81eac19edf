import ast
import importlib
import importlib.util
import shlex
from pathlib import Path

import pytest
import yaml

PACKAGE = "{{ cookiecutter.package_name }}"
KIT = "mlops_kit"
# The kit's sub-packages that CI runs and no stage may import: editing them reruns nothing.
CI_PARTS = ("comparison", "reporting", "release", "modelcard", "github", "remote")


def stage_names() -> list[str]:
    """The pipeline's stages as dvc.yaml has them: the owners add, remove and rename stages,
    and every test below follows (none when there is no dvc.yaml to read)."""
    path = Path(__file__).parents[2] / "dvc.yaml"
    if not path.is_file():
        return []
    return list((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("stages") or {})


STAGES = stage_names()


def first_item(value, item):
    """``value`` with each ``${item}`` of a ``foreach`` stage's ``do`` replaced by ``item``."""
    if isinstance(value, dict):
        return {first_item(k, item): first_item(v, item) for k, v in value.items()}
    if isinstance(value, list):
        return [first_item(v, item) for v in value]
    return value.replace("${item}", str(item)) if isinstance(value, str) else value


@pytest.fixture(scope="module")
def dvc(root, project_params) -> dict:
    """dvc.yaml, each ``foreach`` stage (the shards of many models) as its first item's."""
    found = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))
    for name, stage in found["stages"].items():
        if "foreach" in stage:
            key = stage["foreach"].removeprefix("${").removesuffix("}")
            items = project_params
            for part in key.split("."):
                items = items[part]
            found["stages"][name] = first_item(stage["do"], items[0])
    return found


def outputs(stage: dict) -> set[str]:
    found = set()
    for kind in ("outs", "metrics", "plots"):
        for item in stage.get(kind, []):
            found |= set(item) if isinstance(item, dict) else {item}
    return found


def test_the_pipeline_ends_in_evaluate(dvc):
    """What CI reads (metrics, slices, explanations, the profile) comes from evaluate."""
    assert list(dvc["stages"])[-1] == "evaluate"


def module_of(stage: dict) -> str:
    """The module a stage's cmd runs: `python -m <package>.<module>`."""
    return shlex.split(stage["cmd"])[2]


def path_of(module: str) -> str:
    return f"src/{module.replace('.', '/')}.py"


@pytest.mark.parametrize("name", STAGES)
def test_every_stage_runs_a_module_of_the_package(dvc, root, name):
    stage = dvc["stages"][name]
    words = shlex.split(stage["cmd"])
    assert words[:2] == ["python", "-m"], name
    assert module_of(stage).startswith(f"{PACKAGE}."), name
    assert path_of(module_of(stage)) in stage["deps"], name
    assert (root / path_of(module_of(stage))).is_file()
    assert importlib.util.find_spec(module_of(stage)) is not None


def test_every_path_argument_is_declared(dvc):
    for name, stage in dvc["stages"].items():
        words = shlex.split(stage["cmd"])[3:]
        paths = dict(zip(words[::2], words[1::2], strict=True))
        declared = set(stage["deps"]) | outputs(stage)
        for flag, path in paths.items():
            assert flag.startswith("--"), (name, flag)
            assert path.isdigit() or path in declared, (name, flag, path)  # a number: an id


@pytest.mark.parametrize("name", STAGES)
def test_every_stage_accepts_the_arguments_dvc_yaml_gives_it(
    dvc, name, tmp_path, monkeypatch, capsys
):
    """In an empty folder (no params.yaml, none of its inputs), a stage that took its
    arguments names what is missing in one line, and writes nothing."""
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(module_of(dvc["stages"][name]))
    try:
        code = module.main(shlex.split(dvc["stages"][name]["cmd"])[3:])
    except SystemExit:
        why = capsys.readouterr().err.strip().splitlines()[-1]
        pytest.fail(f"dvc.yaml: the {name} stage refuses its arguments: {why}")
    error = capsys.readouterr().err
    assert code not in (0, None), f"{name} ran without its inputs"
    assert error.startswith("error: "), error
    assert error.count("\n") == 1, error
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
    one_model = "--model" in shlex.split(dvc["stages"]["evaluate"]["cmd"])
    assert f"{folder}/{'feature_importance' if one_model else 'models'}.csv" in plots


def imports_of(path: Path, module: str) -> set[str]:
    """Every module name an import statement of ``path`` (the module ``module``) may load,
    anywhere in the file (imports inside functions run too), relative ones resolved."""
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = ".".join(filter(None, [parent, base]))
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return found


def file_of(root: Path, module: str) -> Path | None:
    """The file of a module of the project's own packages, or None for any other module."""
    if module.split(".")[0] not in (PACKAGE, KIT):
        return None
    base = root / "src" / module.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def files_run_by(root: Path, module: str) -> set[str]:
    """The files of both packages that `python -m <module>` executes: the module, every
    module it imports, directly or through each other, and the __init__.py of each package
    on the way (Python runs them first)."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            prefix = ".".join(parts[:depth])
            path = file_of(root, prefix)
            if path is None or prefix in seen:
                continue
            seen.add(prefix)
            todo.extend(imports_of(path, prefix))
    return {str(file_of(root, name).relative_to(root)) for name in seen}


def covered(path: str, declared: set[str]) -> bool:
    return path in declared or any(path.startswith(f"{d}/") for d in declared)


@pytest.mark.parametrize("name", STAGES)
def test_deps_cover_exactly_the_code_the_stage_runs(dvc, root, name):
    """A file of the package, or the kit's file or whole sub-package folder."""
    stage = dvc["stages"][name]
    declared = {d for d in stage["deps"] if d.startswith("src/")}
    used = files_run_by(root, module_of(stage))
    missing = sorted(p for p in used if not covered(p, declared))
    extra = sorted(d for d in declared if not any(covered(p, {d}) for p in used))
    assert not missing, f"dvc.yaml: stage {name} runs {missing}; add them to its deps"
    assert not extra, f"dvc.yaml: stage {name} never imports {extra}; remove them from its deps"
    folders = [d for d in declared if (root / d).is_dir()]
    assert all(d.startswith(f"src/{KIT}/") for d in folders), folders


@pytest.mark.parametrize("name", STAGES)
def test_no_stage_depends_on_the_kits_ci_parts(dvc, root, name):
    ci = [f"src/{KIT}/{part}/" for part in CI_PARTS]
    for path in sorted(files_run_by(root, module_of(dvc["stages"][name]))):
        assert not path.startswith(tuple(ci)), f"{path}: the pipeline must not run CI code"
    assert not any(d.startswith(tuple(ci)) for d in dvc["stages"][name]["deps"])
