"""The default DVC remote from .dvc/config, and whether credentials for it are available.

remote.py asks here before calling DVC, so a missing secret gives one line naming what to set
(in CI and on a machine) instead of a cloud client's traceback.
"""

from __future__ import annotations

import configparser
import re
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
