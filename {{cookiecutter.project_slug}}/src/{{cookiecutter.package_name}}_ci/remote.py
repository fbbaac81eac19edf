"""Pull or push DVC data and models, after checking the default remote can be reached.

    python -m <package>.remote pull     # dvc pull --allow-missing
    python -m <package>.remote push     # dvc push

Without a remote, or with a folder remote that does not exist on this machine, it prints a
notice and exits 0: the pipeline rebuilds what it can. For cloud remotes it checks that
credentials are in the environment before calling DVC. For an S3-compatible server
(MinIO, Ceph...), set AWS_ENDPOINT_URL: DVC's S3 client reads it, as it does
`dvc remote modify storage endpointurl <url>`.
"""

from __future__ import annotations

import argparse
import configparser
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SECTION = re.compile(r"""^'?remote\s+"(?P<name>[^"]+)"'?$""")
KINDS = {"s3": "s3", "gs": "gcs", "azure": "azure", "ssh": "ssh"}
SSH_KEYS = ("id_ed25519", "id_ecdsa", "id_rsa", "id_dsa")


def read_config(dvc_dir: str | Path = ".dvc") -> dict[str, Any] | None:
    """The default remote as {name, url, kind, options, path}, or None when there is none."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    dvc_dir = Path(dvc_dir)
    parser.read([dvc_dir / "config", dvc_dir / "config.local"], encoding="utf-8")
    name = parser.get("core", "remote", fallback="").strip()
    if not name:
        return None
    options = next(
        (
            dict(parser[section])
            for section in parser.sections()
            if (match := SECTION.match(section.strip())) and match["name"] == name
        ),
        None,
    )
    if options is None or not options.get("url"):
        return None
    url = options["url"].strip()
    kind, path = kind_of(url), Path(url).expanduser()
    path = None if kind != "local" else path if path.is_absolute() else dvc_dir / path
    return {"name": name, "url": url, "kind": kind, "options": options, "path": path}


def kind_of(url: str) -> str:
    """s3, gcs, azure, ssh, local (a folder) or other."""
    return KINDS.get(url.split("://", 1)[0].lower(), "other") if "://" in url else "local"


def _set(env: Mapping[str, str], *names: str) -> bool:
    return all(env.get(name) for name in names)


def missing_credentials(remote: dict[str, Any], env: Mapping[str, str], home: Path) -> str | None:
    """What to set when no credentials for ``remote`` are available, else None."""
    kind, opts = remote["kind"], remote["options"]
    if opts.get("allow_anonymous_login", "").lower() == "true":
        return None
    if kind == "s3":
        found = (
            _set(env, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
            or _set(env, "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE")
            or _set(env, "AWS_PROFILE")
            or _set(opts, "access_key_id", "secret_access_key")
            or _set(opts, "profile")
            or _set(opts, "credentialpath")
            or Path(env.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws/credentials").is_file()
        )
        need = (
            "in CI, set the variable AWS_ROLE_ARN (OIDC) or the secrets AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY; on your machine, an AWS profile or those two variables"
        )
    elif kind == "gcs":
        found = bool(env.get("GOOGLE_APPLICATION_CREDENTIALS") or opts.get("credentialpath"))
        gcloud = Path(env.get("CLOUDSDK_CONFIG") or home / ".config/gcloud")
        found = found or (gcloud / "application_default_credentials.json").is_file()
        need = (
            "in CI, set the secret GCP_SERVICE_ACCOUNT_KEY (a service account's JSON key); on "
            "your machine, `gcloud auth application-default login`"
        )
    elif kind == "azure":
        account = env.get("AZURE_STORAGE_ACCOUNT") or opts.get("account_name")
        secret = (
            _set(env, "AZURE_STORAGE_KEY")
            or _set(env, "AZURE_STORAGE_SAS_TOKEN")
            or _set(env, "AZURE_CLIENT_ID", "AZURE_TENANT_ID")
            or _set(opts, "account_key")
            or _set(opts, "sas_token")
            or Path(env.get("AZURE_CONFIG_DIR") or home / ".azure", "azureProfile.json").is_file()
        )
        found = _set(env, "AZURE_STORAGE_CONNECTION_STRING") or _set(opts, "connection_string")
        found = found or bool(account and secret)
        need = (
            "in CI, set the secret AZURE_STORAGE_CONNECTION_STRING; on your machine, that "
            "variable, or AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY"
        )
    elif kind == "ssh":
        # DVC's SSH client takes a key from the remote's keyfile (the CI workflow sets it in
        # .dvc/config.local), from ssh-agent, or from the default files in ~/.ssh.
        keyfile = opts.get("keyfile")
        found = (
            (bool(keyfile) and Path(keyfile).expanduser().is_file())
            or bool(opts.get("password"))
            or _set(env, "SSH_AUTH_SOCK")
            or any((home / ".ssh" / key).is_file() for key in SSH_KEYS)
        )
        need = (
            "in CI, set the secret DVC_SSH_PRIVATE_KEY; on your machine, ssh-agent, a key in "
            f"~/.ssh, or `dvc remote modify --local {remote['name']} keyfile PATH`"
        )
        if keyfile:
            need = f"its keyfile {keyfile} does not exist; {need}"
    else:
        return None
    if found:
        return None
    return f"DVC remote '{remote['name']}' ({remote['url']}) has no credentials: {need}"


def run_dvc(args: list[str]) -> tuple[int, str]:
    """Run dvc, echoing its output; return the exit code and its last error line (or the
    last line, leaving out DVC's closing "Having any troubles?" advice)."""
    dvc = shutil.which("dvc") or str(Path(sys.executable).with_name("dvc"))
    try:
        process = subprocess.Popen(
            [dvc, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    except FileNotFoundError:
        return 127, "dvc is not on PATH; activate the project's environment"
    last, error = "", ""
    for line in process.stdout or []:
        print(line, end="", flush=True)
        if line.strip() and "dvc.org/support" not in line:
            last = line.strip()
            error = last if last.startswith("ERROR") else error
    return process.wait(), error or last


def sync(action: str, dvc_dir: str | Path = ".dvc", env: Mapping[str, str] | None = None) -> int:
    """Check the default remote, then run `dvc pull --allow-missing` or `dvc push`."""
    env = os.environ if env is None else env
    remote = read_config(dvc_dir)
    if remote is None:
        print(
            f"::notice::No DVC remote configured; skipping dvc {action}. The pipeline rebuilds "
            "the data it can; add one with `dvc remote add -d storage <url>`."
        )
        return 0
    if remote["kind"] == "local" and not remote["path"].is_dir():
        print(
            f"::notice::DVC remote {remote['url']} is not reachable from this machine; "
            f"skipping dvc {action}"
        )
        return 0
    problem = missing_credentials(remote, env, Path.home())
    if problem:
        print(f"::error::{problem}")
        return 1
    code, last = run_dvc(["pull", "--allow-missing"] if action == "pull" else ["push"])
    if code:
        print(f"::error::dvc {action} ({remote['name']}) failed: {last or f'exit code {code}'}")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("pull", "push"))
    return sync(parser.parse_args(argv).action)


if __name__ == "__main__":
    raise SystemExit(main())
