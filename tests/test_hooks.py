"""Unit tests of the hook functions, imported from the unrendered hook files."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest
from conftest import TEMPLATE, isolated_env
from custom_data import write_churn_csv, write_churn_parquet


def load_hook(name: str):
    spec = importlib.util.spec_from_file_location(name, TEMPLATE / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre = load_hook("pre_gen_project")
post = load_hook("post_gen_project")

DEFAULTS = {
    "project_name": "Churn Model",
    "project_slug": "churn-model",
    "package_name": "churn_model",
    "description": "d",
    "author_name": "A",
    "author_email": "a@example.com",
    "github_owner": "acme",
    "python_version": "3.13",
    "dataset": "wine",
    "custom_data_path": "",
    "custom_target": "",
    "custom_task": "classification",
    "custom_slices": "",
    "dvc_remote": "local",
    "dvc_remote_url": "../churn-model-dvc-storage",
    "license": "MIT",
    "compute": "local",
}


def test_answers_are_injected_once_as_json():
    for name in ("pre_gen_project", "post_gen_project"):
        text = (TEMPLATE / "hooks" / f"{name}.py").read_text(encoding="utf-8")
        assert text.count("{{") == 1, name
        assert 'ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""' in text
        assert "{%" not in text


def test_default_answers_pass(tmp_path):
    assert pre.answer_problems(DEFAULTS, tmp_path / "new") == []


@pytest.mark.parametrize(
    ("slices", "message"),
    [
        ("", None),
        (" city ,plan", None),
        ("city,,plan", "give distinct column names separated by ','"),
        ("city, city", "give distinct column names separated by ','"),
        ("city, region", "'region' is not a column; they are: tenure_months, monthly_charges"),
        ("churned", "'churned' is the target; slice by features"),
    ],
)
def test_custom_slices_must_be_distinct_feature_columns(tmp_path, slices, message):
    path = str(write_churn_csv(tmp_path / "churn.csv"))
    answers = {**DEFAULTS, "dataset": "custom", "custom_data_path": path}
    answers |= {"custom_target": "churned", "custom_slices": slices}
    problems = [str(p) for p in pre.answer_problems(answers, tmp_path / "new")]
    if message is None:
        assert problems == []
    else:
        [problem] = problems
        assert problem.startswith(f"custom_slices={slices!r} is not valid: ")
        assert message in problem


def test_custom_slices_are_for_custom_data_only(tmp_path):
    answers = {**DEFAULTS, "dataset": "diabetes", "custom_slices": "sex"}
    [problem] = pre.answer_problems(answers, tmp_path / "new")
    assert str(problem).startswith("custom_slices='sex' is not valid: only dataset=custom takes it")


@pytest.mark.parametrize(
    ("question", "value", "message"),
    [
        ("project_name", "   ", "give the project a name"),
        ("project_slug", "My Project!", "use lowercase letters"),
        ("project_slug", "-dash", "use lowercase letters"),
        ("project_slug", "..", "use lowercase letters"),
        ("package_name", "class", "Python keyword"),
        ("package_name", "match", "Python keyword"),
        ("package_name", "2fast", "not starting with a digit"),
        ("package_name", "my-model", "ASCII Python identifier"),
        ("package_name", "café", "ASCII Python identifier"),
        ("package_name", "pandas", "shadow a dependency"),
        ("package_name", "dvc", "shadow a dependency"),
        ("package_name", "sklearn", "shadow a dependency"),
        ("package_name", "test", "shadow a dependency"),
        ("package_name", "src", "shadow a dependency"),
        ("package_name", "json", "shadow a dependency"),
        ("author_email", "nobody", "name@example.com"),
        # Accepted by a loose pattern, refused by the metadata parser hatchling uses.
        ("author_email", "x@y.z>", "name@example.com"),
        ("author_email", "a,b@c.d", "name@example.com"),
        ("author_email", "(team)a@b.cd", "name@example.com"),
        ("author_email", "josé@example.com", "name@example.com"),
        ("author_email", "a.@b.cd", "name@example.com"),
        ("author_name", "Data\nTeam", "one line"),
        ("author_name", "Data\r\nTeam", "one line"),
        ("author_name", "Data\u2028Team", "one line"),
        ("description", "two\nlines", "one line"),
        ("project_name", "Two\nLines", "one line"),
        ("github_owner", "bad owner", "GitHub user"),
        ("python_version", "3.9", "3.11, 3.12, 3.13"),
        ("dataset", "iris", "breast_cancer, wine, diabetes, custom"),
        ("license", "GPL", "MIT, Apache-2.0"),
        ("dvc_remote", "ftp", "local, s3, gcs, azure, ssh, none"),
        ("compute", "dask", "local, spark"),
        ("package_name", "pyspark", "shadow a dependency"),
    ],
)
def test_bad_answer_names_question_value_and_what_is_allowed(tmp_path, question, value, message):
    (problem,) = pre.answer_problems({**DEFAULTS, question: value}, tmp_path / "new")
    text = str(problem)
    assert text.startswith(f"{question}={value!r} is not valid: ")
    assert message in text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("kind", "url", "ok"),
    [
        ("s3", "s3://my-bucket/project", True),
        ("s3", "s3://my-bucket", True),
        ("s3", "http://my-bucket/project", False),
        ("s3", "s3:/my-bucket", False),
        ("gcs", "gs://my-bucket/x", True),
        ("gcs", "s3://my-bucket/x", False),
        ("azure", "azure://container/path", True),
        ("azure", "azure://Bad_Container/x", False),
        ("ssh", "ssh://user@host.example.com:2222/srv/dvc", True),
        ("ssh", "ssh://host/srv", True),
        ("ssh", "user@host:/srv", False),
        ("local", "../storage", True),
        ("local", "", False),
        ("local", "s3://bucket", False),
        ("local", "--help", False),
        ("local", "-storage", False),
        ("local", "../my storage", True),
        ("local", "../storage\n[core]", False),
        ("local", " ../storage", False),
        ("none", "", True),
    ],
)
def test_remote_url_must_fit_the_remote_kind(kind, url, ok):
    if ok:
        pre.check_remote(kind, url)
    else:
        with pytest.raises(pre.AnswerError, match=r"^dvc_remote_url="):
            pre.check_remote(kind, url)


def test_an_answer_starting_with_a_dash_is_not_taken_for_an_option(tmp_path):
    (problem,) = pre.answer_problems({**DEFAULTS, "dvc_remote_url": "--help"}, tmp_path / "new")
    assert str(problem) == (
        "dvc_remote_url='--help' is not valid: it must not start with '-' "
        "(commands read it as an option)"
    )


@pytest.mark.parametrize(
    ("kind", "url", "shown"),
    [
        (
            "ssh",
            "ssh://bob:hunter2@host.example.com/srv/dvc",
            "ssh://bob:***@host.example.com/srv/dvc",
        ),
        ("ssh", "ssh://bob:@host/srv", "ssh://bob:***@host/srv"),
        ("s3", "s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/p", "s3://AKIAEXAMPLE:***@bucket/p"),
    ],
)
def test_a_password_in_the_remote_url_is_refused_without_printing_it(
    tmp_path, capsys, kind, url, shown
):
    answers = {**DEFAULTS, "dvc_remote": kind, "dvc_remote_url": url}
    assert pre.main(answers, tmp_path / "new") == 1
    err = capsys.readouterr().err
    secret = url.split(":", 2)[2].split("@")[0]
    assert err.count("\n") == 1
    assert err.startswith(f"error: dvc_remote_url={shown!r} is not valid: a password in the URL")
    assert "dvc remote modify --local storage password" in err
    assert "secret" in err
    if secret:
        assert secret not in err


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("ssh://bob:hunter2@host/x", "ssh://bob:***@host/x"),
        ("ssh://bob@host/x", "ssh://bob@host/x"),  # a user name alone is no secret
        ("ssh://host:2222/x@y", "ssh://host:2222/x@y"),  # '@' in the path, not user-info
        ("../storage", "../storage"),
    ],
)
def test_mask_url(url, masked):
    assert pre.mask_url(url) == masked


@pytest.mark.parametrize(
    ("name", "email"),
    [
        ('Seán O\'Brien "Bob" \\ Ñoño', "data-team@example.com"),
        ("Smith, Jo <jo>", "first.last+tag@sub.example.co.uk"),
        ("Team", "a@xn--exmple-cua.com"),
    ],
)
def test_awkward_but_valid_authors_pass(tmp_path, name, email):
    answers = {**DEFAULTS, "author_name": name, "author_email": email}
    assert pre.answer_problems(answers, tmp_path / "new") == []
    assert pre.metadata_address(name, email).endswith(f"<{email}>")


def test_custom_data_checks_path_and_target(tmp_path):
    csv_path = write_churn_csv(tmp_path / "churn.csv", rows=20)
    pre.check_custom_data(str(csv_path), "churned")
    with pytest.raises(pre.AnswerError, match=r"^custom_data_path='.*missing.csv'.*no such file"):
        pre.check_custom_data(str(tmp_path / "missing.csv"), "churned")
    with pytest.raises(pre.AnswerError, match=r"^custom_target='label'.*tenure_months"):
        pre.check_custom_data(str(csv_path), "label")
    with pytest.raises(pre.AnswerError, match=r"^custom_data_path=''"):
        pre.check_custom_data("", "churned")
    text = tmp_path / "notes.txt"
    text.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(pre.AnswerError, match=r"\.csv or \.parquet"):
        pre.check_custom_data(str(text), "a")


def test_custom_parquet_columns_are_read(tmp_path):
    path = write_churn_parquet(tmp_path / "churn.parquet", rows=20)
    assert "spend" in pre.read_columns(path)
    pre.check_custom_data(str(path), "spend")
    with pytest.raises(pre.AnswerError, match=r"^custom_target='nope'"):
        pre.check_custom_data(str(path), "nope")


def test_existing_project_in_output_folder_is_refused(tmp_path):
    (tmp_path / ".git").mkdir()
    with pytest.raises(pre.AnswerError, match="already holds a project"):
        pre.check_output_dir(tmp_path)
    pre.check_output_dir(tmp_path / "fresh")


def test_pre_main_prints_one_line_and_fails(tmp_path, capsys):
    assert pre.main({**DEFAULTS, "package_name": "pandas"}, tmp_path) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: package_name='pandas' is not valid")


def test_three_mistakes_give_three_lines_in_one_run(tmp_path, capsys):
    answers = {**DEFAULTS, "author_email": "nobody", "github_owner": "bad owner", "license": "GPL"}
    assert pre.main(answers, tmp_path / "new") == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "error: author_email='nobody' is not valid: use an address like name@example.com",
        "error: github_owner='bad owner' is not valid: use a GitHub user or organisation name "
        "(letters, digits, single '-')",
        "error: license='GPL' is not valid: choose one of MIT, Apache-2.0, BSD-3-Clause, "
        "Proprietary",
    ]


def test_every_question_is_checked_and_reported_in_the_order_it_is_asked(tmp_path):
    project_dir = tmp_path / "old"
    (project_dir / ".git").mkdir(parents=True)
    answers = {
        "project_name": " ",
        "project_slug": "-x",
        "package_name": "class",
        "description": "d",
        "author_name": "A",
        "author_email": "nobody",
        "github_owner": "bad owner",
        "python_version": "3.9",
        "dataset": "custom",
        "custom_data_path": str(tmp_path / "missing.csv"),
        "custom_target": "y",
        "custom_task": "clustering",
        "dvc_remote": "s3",
        "dvc_remote_url": "https://bucket/x",
        "license": "GPL",
        "compute": "dask",
    }
    reported = [str(p).split("=", 1)[0] for p in pre.answer_problems(answers, project_dir)]
    asked = list(json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8")))
    *answered, output_dir = reported
    assert answered == sorted(answered, key=asked.index)
    assert answered == [
        "custom_data_path",
        "custom_task",
        "project_name",
        "project_slug",
        "package_name",
        "author_email",
        "github_owner",
        "python_version",
        "dvc_remote_url",
        "license",
        "compute",
    ]
    assert output_dir == "project_slug"  # the folder already holds a project, checked last


@pytest.mark.parametrize(
    ("dataset", "kept"),
    [
        ("wine", "expectations/wine.json"),
        ("breast_cancer", "expectations/breast_cancer.json"),
        ("diabetes", "expectations/diabetes.json"),
        ("custom", None),
    ],
)
def test_removal_table_drops_only_unchosen_answers(dataset, kept):
    answers = {"dataset": dataset, "dvc_remote": "s3", "compute": "spark", "package_name": "p"}
    doomed = post.paths_to_remove(answers)
    many_only = {path.format(package="p") for path in post.MANY_MODELS_ONLY}
    assert set(doomed) == set(post.SUITES.values()) - {kept} | many_only
    many = set(post.paths_to_remove({**answers, "segment_by": "store"}))
    assert many == set(post.SUITES.values()) - {kept} | set(post.ONE_MODEL_ONLY)
    s3_only = ".github/act/configure-aws-credentials"
    assert s3_only in post.paths_to_remove({**answers, "dvc_remote": "local"})
    assert "tests/code/test_spark.py" in post.paths_to_remove({**answers, "compute": "local"})
    assert (TEMPLATE / "{{cookiecutter.project_slug}}" / s3_only / "action.yml").is_file()
    for path in post.SUITES.values():  # every path in the table exists in the template
        assert (TEMPLATE / "{{cookiecutter.project_slug}}" / path).is_file()
    owners = "{{cookiecutter.package_name}}"
    for path in post.MANY_MODELS_ONLY + post.ONE_MODEL_ONLY:
        assert (TEMPLATE / "{{cookiecutter.project_slug}}" / path.format(package=owners)).is_file()


@pytest.mark.parametrize(
    ("remote", "compute", "kept"),
    [
        ("s3", "spark", {"remote-credentials", "setup-java"}),
        ("gcs", "local", {"remote-credentials"}),
        ("azure", "local", {"remote-credentials"}),
        ("ssh", "spark", {"remote-credentials", "setup-java"}),
        ("local", "local", set()),
        ("none", "spark", {"setup-java"}),
    ],
)
def test_a_composite_action_is_kept_for_every_answer_that_lists_it(remote, compute, kept):
    """A path listed under several answers (the remote's credentials action) stays when any
    of them is chosen, and goes only when none is."""
    answers = {"dataset": "wine", "dvc_remote": remote, "compute": compute, "package_name": "p"}
    doomed = post.paths_to_remove(answers)
    actions = TEMPLATE / "{{cookiecutter.project_slug}}" / ".github" / "actions"
    every = {path.name for path in actions.iterdir()}
    assert every == {"remote-credentials", "setup-java"}
    assert {name for name in every if f".github/actions/{name}" not in doomed} == kept
    assert len(doomed) == len(set(doomed))


def test_remove_paths_removes_files_and_folders(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("x", encoding="utf-8")
    (tmp_path / "b.txt").write_text("b", encoding="utf-8")
    (tmp_path / "keep.txt").write_text("k", encoding="utf-8")
    post.remove_paths(tmp_path, ["a", "b.txt", "absent.txt"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_remove_paths_removes_the_folders_it_leaves_empty(tmp_path):
    for name in ("one", "two"):
        (tmp_path / ".github" / "actions" / name).mkdir(parents=True)
        (tmp_path / ".github" / "actions" / name / "action.yml").write_text("x", "utf-8")
    (tmp_path / ".github" / "dependabot.yml").write_text("d", encoding="utf-8")
    post.remove_paths(tmp_path, [".github/actions/one"])
    assert [p.name for p in (tmp_path / ".github" / "actions").iterdir()] == ["two"]
    post.remove_paths(tmp_path, [".github/actions/two"])
    assert [p.name for p in (tmp_path / ".github").iterdir()] == ["dependabot.yml"]


def test_answers_record_is_cruft_format_without_run_details(tmp_path):
    answers = {**DEFAULTS, "_template": "gh:acme/template", "_output_dir": "/tmp/x"}
    answers["_repo_dir"] = str(tmp_path)
    record = post.answers_record(answers)
    assert set(record) == {"template", "commit", "checkout", "context", "directory"}
    # cruft clones the template with git: the abbreviation is expanded as cookiecutter does
    assert record["template"] == "https://github.com/acme/template.git"
    assert record["commit"] is None  # tmp_path is not a git checkout
    assert record["context"]["cookiecutter"]["project_name"] == "Churn Model"
    assert "_output_dir" not in record["context"]["cookiecutter"]
    json.dumps(record)


def test_relative_paths_are_the_users_not_the_hooks(tmp_path, monkeypatch):
    """Hooks run inside the new project; a relative path means the shell's folder."""
    write_churn_csv(tmp_path / "churn.csv")
    monkeypatch.setenv("PWD", str(tmp_path))
    monkeypatch.chdir(TEMPLATE)
    pre.check_custom_data("churn.csv", "churned")
    record = post.answers_record({**DEFAULTS, "_template": ".", "_repo_dir": "."})
    assert record["template"] == "."  # no template in tmp_path: left as given
    monkeypatch.setenv("PWD", str(TEMPLATE.parent))
    record = post.answers_record(
        {**DEFAULTS, "_template": TEMPLATE.name, "_repo_dir": TEMPLATE.name}
    )
    assert record["template"] == str(TEMPLATE)
    assert record["context"]["cookiecutter"]["_template"] == str(TEMPLATE)


def test_answers_record_names_the_template_commit():
    record = post.answers_record({**DEFAULTS, "_repo_dir": str(TEMPLATE)})
    if (TEMPLATE / ".git").exists():
        head = subprocess.run(
            ["git", "-C", str(TEMPLATE), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert record["commit"] == head


def test_git_identity_falls_back_to_a_neutral_one(tmp_path, monkeypatch, capsys):
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    env = isolated_env(tmp_path / "home", git_identity=False)
    monkeypatch.setattr(post, "ENV", env)
    options = post.git_identity(repo)
    assert options == ["-c", "user.name=Project Template", "-c", "user.email=template@localhost"]
    assert "git has no user.name/user.email" in capsys.readouterr().out

    env = isolated_env(tmp_path / "home2", git_identity=True)
    monkeypatch.setattr(post, "ENV", env)
    assert post.git_identity(repo) == []


def test_run_reports_the_failing_step_in_one_line(tmp_path):
    with pytest.raises(post.HookError, match=r"^listing failed: "):
        post.run(["git", "log"], tmp_path, "listing")
    with pytest.raises(post.HookError, match="not installed or not on PATH"):
        post.run(["no-such-tool-xyz"], tmp_path, "tooling")


def cd_lands_in(command: str, start: Path) -> Path:
    """Where the `cd` of a printed command takes a shell started in `start`."""
    cd = command.removesuffix(" && python3 tasks.py repro")
    assert cd != command
    assert cd.startswith("cd ")
    out = subprocess.run(
        ["sh", "-c", f"{cd} && pwd -P"], cwd=start, capture_output=True, text=True, check=True
    )
    return Path(out.stdout.strip())


@pytest.mark.parametrize(
    ("inside", "printed"),
    [
        ("proj", "cd proj"),
        ("out/proj", "cd out/proj"),
        ("a/b/proj", "cd a/b/proj"),
        ("a/b/c/proj", None),  # deeper than three folders: absolute
        ("my out/it's", "cd 'my out/it'\"'\"'s'"),
        ("-o/proj", None),  # `cd -o/...` would be read as an option
    ],
)
def test_next_command_works_from_the_users_folder(tmp_path, inside, printed):
    start = tmp_path / "here"
    root = start / inside
    root.mkdir(parents=True)
    command = post.next_command(root, start)
    if printed is None:
        assert command.startswith(f"cd {root.resolve()}")
    else:
        assert command == f"{printed} && python3 tasks.py repro"
    assert cd_lands_in(command, start) == root.resolve()


def test_next_command_is_absolute_outside_the_users_folder(tmp_path):
    root, elsewhere = tmp_path / "out" / "proj", tmp_path / "elsewhere"
    root.mkdir(parents=True)
    elsewhere.mkdir()
    for start in (elsewhere, None, tmp_path / "gone"):
        command = post.next_command(root, start)
        assert command == f"cd {root.resolve()} && python3 tasks.py repro"
        assert cd_lands_in(command, elsewhere) == root.resolve()


def test_next_command_sees_through_a_symlinked_folder(tmp_path):
    real = tmp_path / "real"
    (real / "proj").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(real)
    # the shell's $PWD keeps the link; the hook's own folder is the real path
    assert post.next_command((real / "proj").resolve(), link).startswith("cd proj && ")


def test_a_lock_that_takes_too_long_is_left_to_the_first_set_up(tmp_path, monkeypatch, capsys):
    slow_uv = tmp_path / "uv"
    slow_uv.write_text("#!/bin/sh\ntouch uv.lock\nexec sleep 30\n", encoding="utf-8")
    slow_uv.chmod(0o755)
    monkeypatch.setattr(post, "uv_command", lambda: str(slow_uv))
    monkeypatch.setattr(post, "LOCK_TIMEOUT", 1)
    post.lock_dependencies(tmp_path)
    assert capsys.readouterr().out == (
        "note: no uv.lock yet (the package index did not answer within 1 s); "
        "the first `python3 tasks.py setup` writes it\n"
    )
    assert not (tmp_path / "uv.lock").exists()  # nothing half-written stays


def test_without_uv_the_project_is_still_generated(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(post, "uv_command", lambda: None)
    post.lock_dependencies(tmp_path)
    assert (
        "note: no uv.lock yet (uv is not installed beside cookiecutter)" in capsys.readouterr().out
    )
    assert list(tmp_path.iterdir()) == []


def test_every_answer_reaching_dvc_remote_add_comes_after_double_dash(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(post, "run", lambda args, *rest, **kw: calls.append(args) or "")
    monkeypatch.setattr(post, "write_secrets_baseline", lambda root: False)
    monkeypatch.setattr(post, "git_identity", lambda root: [])
    post.set_up_repository({**DEFAULTS, "dvc_remote_url": "--help"}, tmp_path, None)
    (add,) = [args for args in calls if args[-6:-4] == ["remote", "add"]]
    assert add[-4:] == ["--default", "--", "storage", "--help"]


def template_scanner_pin() -> str:
    """The generated project's pre-commit configuration, where detect-secrets is pinned."""
    path = TEMPLATE / "{{cookiecutter.project_slug}}" / ".pre-commit-config.yaml"
    return path.read_text(encoding="utf-8")


def test_secrets_baseline_is_the_pinned_scanners_own_record(tmp_path):
    """The real detect-secrets (through uv), on staged files: the first commit's findings are
    recorded; lock files and the template's commit in .cruft.json are left out."""
    root = tmp_path / "project"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".pre-commit-config.yaml").write_text(template_scanner_pin(), encoding="utf-8")
    (root / "keys.txt").write_text("aws_access_key_id = AKIAZ3MSJV4WOJ4EXMPL\n", encoding="utf-8")
    (root / "dvc.lock").write_text("md5: 'f1d5f087e6ee608a7d7410128af61325'\n", encoding="utf-8")
    commit = "2e9c095fda435ba658e61a03fdf1da901c890a46"
    (root / ".cruft.json").write_text(f'{{\n  "commit": "{commit}",\n}}\n', encoding="utf-8")
    subprocess.run(["git", "add", "--all"], cwd=root, check=True)
    assert post.write_secrets_baseline(root)
    baseline = json.loads((root / post.BASELINE).read_text(encoding="utf-8"))
    assert baseline["version"] == post.scanner_requirement(root).split("==")[1]
    assert list(baseline["results"]) == ["keys.txt"]
    assert baseline["results"]["keys.txt"][0]["type"] == "AWS Access Key"


def test_without_uv_the_baseline_is_left_with_a_note_saying_how(tmp_path, monkeypatch, capsys):
    (tmp_path / ".pre-commit-config.yaml").write_text(template_scanner_pin(), encoding="utf-8")
    monkeypatch.setattr(post, "uv_command", lambda: None)
    assert not post.write_secrets_baseline(tmp_path)
    (note,) = capsys.readouterr().out.splitlines()
    requirement = post.scanner_requirement(tmp_path)
    assert note.startswith(
        "note: no .secrets.baseline yet (uv is not installed beside cookiecutter)"
    )
    assert "`python3 tasks.py setup` (or any task) writes it" in note
    assert requirement.startswith("detect-secrets==")
    assert not (tmp_path / post.BASELINE).exists()


@pytest.mark.parametrize(
    ("dataset", "remote", "noted"),
    [
        ("custom", "local", "CI cannot reach the local folder remote ../x-dvc-storage"),
        ("custom", "none", "CI has no DVC remote to get it from"),
        ("custom", "s3", None),
        ("wine", "local", None),  # ingest rebuilds a bundled dataset anywhere
        ("wine", "none", None),
    ],
)
def test_custom_data_ci_cannot_reach_is_said_at_generation(dataset, remote, noted):
    answers = {**DEFAULTS, "dataset": dataset, "dvc_remote": remote}
    answers |= {"dvc_remote_url": "../x-dvc-storage", "__source": "data/external/dataset.csv"}
    note = post.data_ci_cannot_reach(answers)
    if noted is None:
        assert note is None
        return
    assert note.startswith("note: your data (data/external/dataset.csv) is tracked by DVC")
    assert noted in note
    assert "\n" not in note
    assert "Pipeline workflow stops" in note
