"""The default DVC remote from .dvc/config, and whether credentials for it are in sight.

DVC always gets to try: its cloud clients also find credentials no check here can see
(instance roles, SSO sessions, cloud metadata servers). Only when DVC fails and none are in
sight does remote.py add the hint naming what to set, in CI and on a machine. URLs are shown
with their user-info masked, and the secret values of the remote's settings are known here so
that CI can mask them in its logs.
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
# Remote settings whose values are secrets (DVC's names, across its remote kinds).
SECRET_OPTIONS = (
    "access_key_id",
    "secret_access_key",
    "session_token",
    "account_key",
    "connection_string",
    "sas_token",
    "client_secret",
    "password",
    "passphrase",
    "token",
    "oss_key_id",
    "oss_key_secret",
    "gdrive_client_secret",
)
USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s]+@")


def mask_url(text: str) -> str:
    """``text`` with the user-info of every URL in it (user, password) shown as ***."""
    return USERINFO.sub(r"\1***@", text)


def secret_values(remote: dict[str, Any]) -> list[str]:
    """The secret values in the remote's settings and URL, for CI to mask (`::add-mask::`)."""
    values = [remote["options"].get(name, "") for name in SECRET_OPTIONS]
    netloc = remote["url"].split("://", 1)[1].split("/", 1)[0] if "://" in remote["url"] else ""
    userinfo = netloc.rpartition("@")[0]
    if ":" in userinfo:
        values.append(userinfo.split(":", 1)[1])
    return [value.strip() for value in values if value.strip() and "\n" not in value]


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
    """What to set when no credentials for ``remote`` are in sight, else None."""
    kind, opts = remote["kind"], remote["options"]
    if opts.get("allow_anonymous_login", "").lower() == "true":
        return None
    if kind == "s3":
        found = (
            _set(env, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
            or _set(env, "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE")
            or _set(env, "AWS_PROFILE")
            or _set(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
            or _set(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI")
            or _set(opts, "access_key_id", "secret_access_key")
            or _set(opts, "profile")
            or _set(opts, "credentialpath")
            or Path(env.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws/credentials").is_file()
            or Path(env.get("AWS_CONFIG_FILE") or home / ".aws/config").is_file()  # SSO
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
    return f"DVC remote '{remote['name']}' ({mask_url(remote['url'])}) has no credentials: {need}"
