import os
import stat
import subprocess
from pathlib import Path

import pytest
from mlops_kit.remote import credentials, sync


def write_config(folder, url, name="storage", default=True, local=None, extra=""):
    dvc = folder / ".dvc"
    dvc.mkdir(parents=True, exist_ok=True)
    core = f"[core]\n    remote = {name}\n" if default else "[core]\n    analytics = false\n"
    text = f"{core}['remote \"{name}\"']\n    url = {url}\n{extra}"
    (dvc / "config").write_text(text, encoding="utf-8")
    if local is not None:
        (dvc / "config.local").write_text(local, encoding="utf-8")
    return dvc


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("s3://bucket/path", "s3"),
        ("gs://bucket/path", "gcs"),
        ("azure://container/path", "azure"),
        ("ssh://user@example.com/srv/dvc", "ssh"),
        ("https://example.com/dvc", "other"),
        ("../../storage", "local"),
        ("/srv/storage", "local"),
    ],
)
def test_read_config_kinds(tmp_path, url, kind):
    dvc = write_config(tmp_path, url)
    found = credentials.read_config(dvc)
    assert (found["name"], found["url"], found["kind"]) == ("storage", url, kind)
    if kind == "local":
        expected = url if url.startswith("/") else str(dvc / url)
        assert str(found["path"]) == expected


def test_relative_local_path_is_relative_to_dvc_folder(tmp_path):
    (tmp_path / "storage").mkdir()
    found = credentials.read_config(write_config(tmp_path / "repo", "../../storage"))
    assert found["path"].resolve() == (tmp_path / "storage").resolve()


def test_no_default_remote(tmp_path):
    assert credentials.read_config(tmp_path / ".dvc") is None
    assert credentials.read_config(write_config(tmp_path, "s3://b/p", default=False)) is None


def test_config_local_overrides(tmp_path):
    local = "['remote \"storage\"']\n    url = gs://other/place\n    credentialpath = /k.json\n"
    found = credentials.read_config(write_config(tmp_path, "s3://b/p", local=local))
    assert found["kind"] == "gcs"
    assert found["options"]["credentialpath"] == "/k.json"


def config(url, **options):
    return {"name": "storage", "url": url, "kind": credentials.kind_of(url), "options": options}


@pytest.mark.parametrize(
    ("url", "env", "options", "ok"),
    [
        ("s3://b/p", {}, {}, False),
        ("s3://b/p", {"AWS_ACCESS_KEY_ID": "k"}, {}, False),
        ("s3://b/p", {"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"}, {}, True),
        ("s3://b/p", {"AWS_ROLE_ARN": "arn", "AWS_WEB_IDENTITY_TOKEN_FILE": "/t"}, {}, True),
        ("s3://b/p", {}, {"access_key_id": "k", "secret_access_key": "s"}, True),
        ("s3://b/p", {}, {"allow_anonymous_login": "true"}, True),
        ("gs://b/p", {}, {}, False),
        ("gs://b/p", {"GOOGLE_APPLICATION_CREDENTIALS": "/key.json"}, {}, True),
        ("azure://c/p", {}, {}, False),
        ("azure://c/p", {"AZURE_STORAGE_ACCOUNT": "a"}, {}, False),
        ("azure://c/p", {"AZURE_STORAGE_ACCOUNT": "a", "AZURE_STORAGE_KEY": "k"}, {}, True),
        ("azure://c/p", {"AZURE_STORAGE_CONNECTION_STRING": "c"}, {}, True),
        ("ssh://u@h/p", {}, {}, False),
        ("ssh://u@h/p", {"SSH_AUTH_SOCK": "/agent"}, {}, True),
        ("ssh://u@h/p", {}, {"password": "pw"}, True),  # pragma: allowlist secret
        ("https://example.com/p", {}, {}, True),
    ],
)
def test_credentials(tmp_path, url, env, options, ok):
    problem = credentials.missing_credentials(config(url, **options), env, tmp_path)
    assert (problem is None) == ok, problem


# The secrets (and variable) the CI workflows read, first; then what works on a machine.
@pytest.mark.parametrize(
    ("url", "ci", "names"),
    [
        (
            "s3://b/p",
            "in CI, set the variable AWS_ROLE_ARN (OIDC) or the secrets AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY;",
            ["AWS profile"],
        ),
        (
            "gs://b/p",
            "in CI, set the secret GCP_SERVICE_ACCOUNT_KEY",
            ["gcloud auth application-default login"],
        ),
        (
            "azure://c/p",
            "in CI, set the secret AZURE_STORAGE_CONNECTION_STRING;",
            ["AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY"],
        ),
        (
            "ssh://u@h/p",
            "in CI, set the secret DVC_SSH_PRIVATE_KEY;",
            ["ssh-agent", "~/.ssh", "dvc remote modify --local storage keyfile PATH"],
        ),
    ],
)
def test_credential_error_names_the_ci_secret_first(tmp_path, url, ci, names):
    problem = credentials.missing_credentials(config(url), {}, tmp_path)
    shown = credentials.mask_url(url)  # ssh://u@h/p is shown as ssh://***@h/p
    assert problem.startswith(f"DVC remote 'storage' ({shown}) has no credentials: {ci}")
    assert "\n" not in problem
    for name in names:
        assert name in problem


def test_ssh_keyfile_in_config_local_is_found(tmp_path):
    """What the CI workflow does with DVC_SSH_PRIVATE_KEY: a key file set as the keyfile."""
    key = tmp_path / "runner" / "dvc-ssh-key"
    key.parent.mkdir()
    local = f"['remote \"storage\"']\n    keyfile = {key}\n"
    found = credentials.read_config(write_config(tmp_path / "repo", "ssh://u@h/p", local=local))
    assert found["options"]["keyfile"] == str(key)
    home = tmp_path / "home"
    problem = credentials.missing_credentials(found, {}, home)
    assert problem.startswith(
        f"DVC remote 'storage' (ssh://***@h/p) has no credentials: its keyfile {key} does not "
        "exist; in CI, set the secret DVC_SSH_PRIVATE_KEY;"
    )
    key.write_text("a key\n", encoding="utf-8")
    assert credentials.missing_credentials(found, {}, home) is None


def test_ssh_keyfile_with_a_tilde(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "dvc").write_text("key", encoding="utf-8")
    options = {"keyfile": "~/keys/dvc"}
    found = credentials.missing_credentials(config("ssh://u@h/p", **options), {}, tmp_path / "x")
    assert found is None


def test_credential_files_in_home(tmp_path):
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh/id_ed25519").write_text("key", encoding="utf-8")
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws/credentials").write_text("[default]\n", encoding="utf-8")
    for url in ("ssh://u@h/p", "s3://b/p"):
        assert credentials.missing_credentials(config(url), {}, tmp_path) is None


@pytest.fixture
def fake_dvc(tmp_path, monkeypatch):
    """A `dvc` on PATH that records its arguments, says FAKE_DVC_SAY, and fails when
    FAKE_DVC_FAIL is set."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "dvc"
    script.write_text(
        '#!/bin/sh\necho "$@" > "$FAKE_DVC_LOG"\necho "Collecting"\n'
        'if [ -n "$FAKE_DVC_SAY" ]; then echo "$FAKE_DVC_SAY"; fi\n'
        'if [ -n "$FAKE_DVC_FAIL" ]; then\n'
        '  echo "ERROR: failed to pull data from the cloud - missing cache files"\n'
        '  echo "Traceback (most recent call last):"\n'  # as with `dvc -v`
        '  echo "Having any troubles? Hit us up at https://dvc.org/support"\n  exit 3\nfi\n',
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "dvc-args.txt"
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_DVC_LOG", str(log))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("FAKE_DVC_SAY", "FAKE_DVC_FAIL", "GITHUB_ACTIONS", *CLOUD_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return log


CLOUD_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "SSH_AUTH_SOCK",
)


def test_no_remote_is_a_notice(fake_dvc, capsys):
    assert sync.main(["pull"]) == 0
    assert capsys.readouterr().out.startswith("::notice::No DVC remote configured;")
    assert not fake_dvc.exists()


@pytest.mark.parametrize("action", ["pull", "push"])
def test_unreachable_local_remote_is_skipped(fake_dvc, tmp_path, action, capsys):
    write_config(tmp_path, "../missing-storage")
    assert sync.main([action]) == 0
    out = capsys.readouterr().out
    assert out == (
        "::notice::DVC remote ../missing-storage is not reachable from this machine; "
        f"skipping dvc {action}\n"
    )
    assert not fake_dvc.exists()


def test_reachable_local_remote_runs_dvc(fake_dvc, tmp_path):
    (tmp_path / "storage").mkdir()
    write_config(tmp_path, "../storage")
    assert sync.main(["pull"]) == 0
    assert fake_dvc.read_text(encoding="utf-8").split() == ["pull", "--allow-missing"]
    assert sync.main(["push"]) == 0
    assert fake_dvc.read_text(encoding="utf-8").split() == ["push"]


@pytest.mark.parametrize("url", ["s3://bucket/path", "gs://b/p", "azure://c/p", "ssh://u@h/p"])
def test_dvc_always_gets_to_try_credentials_it_finds_itself(fake_dvc, tmp_path, url, capsys):
    """Instance roles, SSO sessions, metadata servers: nothing in sight, and DVC still runs."""
    write_config(tmp_path, url)
    assert sync.main(["push"]) == 0
    assert fake_dvc.read_text(encoding="utf-8").split() == ["push"]
    assert "::error::" not in capsys.readouterr().out


def test_the_ci_hint_comes_after_dvc_fails(fake_dvc, tmp_path, monkeypatch, capsys):
    write_config(tmp_path, "s3://bucket/path")
    monkeypatch.setenv("FAKE_DVC_FAIL", "1")
    assert sync.main(["pull"]) == 3
    assert fake_dvc.read_text(encoding="utf-8").split() == ["pull", "--allow-missing"]
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith(
        "::error::dvc pull (storage) failed: ERROR: failed to pull data from the cloud - "
        "missing cache files; DVC remote 'storage' (s3://bucket/path) has no credentials: "
        "in CI, set the variable AWS_ROLE_ARN (OIDC) or the secrets AWS_ACCESS_KEY_ID"
    )
    # With credentials in sight, the failure is DVC's alone: no hint.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert sync.main(["pull"]) == 3
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == (
        "::error::dvc pull (storage) failed: "
        "ERROR: failed to pull data from the cloud - missing cache files"
    )


def test_failed_pull_passes_exit_code_and_names_the_error(fake_dvc, tmp_path, monkeypatch, capsys):
    (tmp_path / "storage").mkdir()
    write_config(tmp_path, "../storage")
    monkeypatch.setenv("FAKE_DVC_FAIL", "1")
    assert sync.main(["pull"]) == 3
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == (
        "::error::dvc pull (storage) failed: "
        "ERROR: failed to pull data from the cloud - missing cache files"
    )


PASSWORD = "hunter2"  # pragma: allowlist secret


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"ssh://bob:{PASSWORD}@host/srv/dvc", "ssh://***@host/srv/dvc"),
        ("ssh://bob@host/srv/dvc", "ssh://***@host/srv/dvc"),
        (f"ssh://bob:p@{PASSWORD}@host:22/x", "ssh://***@host:22/x"),
        (f"at https://u:{PASSWORD}@example.com/dvc: 403", "at https://***@example.com/dvc: 403"),
        ("ssh://host/path/with@sign", "ssh://host/path/with@sign"),
        ("../storage", "../storage"),
    ],
)
def test_mask_url(text, masked):
    assert credentials.mask_url(text) == masked


def test_user_info_is_masked_wherever_a_url_is_printed(fake_dvc, tmp_path, monkeypatch, capsys):
    url = f"ssh://bob:{PASSWORD}@host.example.com/srv/dvc"
    write_config(tmp_path, url)
    monkeypatch.setenv("FAKE_DVC_SAY", f"ERROR: cannot connect to {url}")
    monkeypatch.setenv("FAKE_DVC_FAIL", "1")
    assert sync.main(["pull"]) == 3
    out = capsys.readouterr().out
    assert PASSWORD not in out
    assert "ERROR: cannot connect to ssh://***@host.example.com/srv/dvc" in out
    assert "DVC remote 'storage' (ssh://***@host.example.com/srv/dvc) has no credentials" in out
    write_config(tmp_path, f"ssh://bob:{PASSWORD}@unreachable/x")
    problem = credentials.missing_credentials(credentials.read_config(".dvc"), {}, tmp_path)
    assert PASSWORD not in problem


def test_ci_masks_the_remotes_secrets_before_dvc_runs(fake_dvc, tmp_path, monkeypatch, capsys):
    local = (
        "['remote \"storage\"']\n    access_key_id = AKIAKEYID\n"
        "    secret_access_key = s3cr3t/value\n    region = eu-west-1\n"  # pragma: allowlist secret
    )
    write_config(tmp_path, "s3://bucket/path", local=local)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert sync.main(["pull"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["::add-mask::AKIAKEYID", "::add-mask::s3cr3t/value"]
    assert lines[2] == "Collecting"  # dvc ran after the masks
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert sync.main(["pull"]) == 0
    assert "::add-mask::" not in capsys.readouterr().out  # only in GitHub Actions


def test_secret_values_of_a_url_with_a_password():
    found = config(f"ssh://bob:{PASSWORD}@h/p", password="other")  # pragma: allowlist secret
    assert credentials.secret_values(found) == ["other", PASSWORD]
    assert credentials.secret_values(config("ssh://bob@h/p")) == []


def dvc(*args: str) -> str:
    result = subprocess.run([sync.executable(), *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("kind", ["local", "none"])
def test_added_data_ci_cannot_reach_stops_pull_with_one_line(
    dvc_repo, commit, tmp_path, kind, capsys
):
    """Real DVC: a file added with `dvc add`, in a clone without it (as in CI)."""
    storage = f"../{tmp_path.name}-storage"  # beside the repository
    Path("data").mkdir()
    Path("data/own.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    dvc("add", "-q", "data/own.csv")
    if kind == "local":
        dvc("remote", "add", "-d", "--", "storage", storage)
    commit("Track the data")
    Path("data/own.csv").unlink()  # what a fresh checkout has: only data/own.csv.dvc
    assert sync.added_data(Path(".")) == ["data/own.csv"]
    assert sync.main(["pull"]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    where = (
        f"the DVC remote {storage} is a folder this machine cannot reach"
        if kind == "local"
        else "no DVC remote is configured"
    )
    assert line.startswith(f"::error::data/own.csv is tracked by DVC, not git, and {where}")
    assert "set a remote CI can reach" in line
    assert sync.main(["push"]) == 0  # nothing to push it to: a notice, as before
    assert capsys.readouterr().out.startswith("::notice::")
    if kind == "local":  # once the folder is there, DVC pulls from it
        Path(storage).mkdir()
        assert sync.unreachable_data(".") is None
