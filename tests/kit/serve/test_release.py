"""Fetching a published model (serve --release) from a local stand-in for GitHub's releases API:
checked against git's dvc.lock at the release's tag before anything loads it, and against the
release's digests; a flaky or hostile network (a body cut short, an HTML page, pages that
repeat, redirect loops, a credential in GITHUB_API_URL) stops with one line, after a bounded
number of requests."""

from __future__ import annotations

import hashlib
import json
import pathlib
import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import joblib
import pytest
import yaml
from mlops_kit import common
from mlops_kit.serving import download, serve

REPO = "acme/shop"


class Handler(BaseHTTPRequestHandler):
    """GET releases (paginated), a release by tag, an asset (a redirect to its download); the
    fake's ``fault`` makes it misbehave: "html", "text", "truncate", "same-next",
    "endless-next", "next-elsewhere", "redirect-loop", "api-elsewhere", "download-elsewhere"."""

    def log_message(self, *args) -> None:
        pass

    def answer(self, status: int, body: bytes | object, headers: dict | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        fault = self.server.fake.fault
        self.send_response(status)
        headers = headers or {}
        if fault in ("html", "text") and not isinstance(body, bytes):
            data = b"<html><body>Sign in to the Wi-Fi</body></html>" if fault == "html" else b"OK"
            headers = {"Content-Type": f"text/{'html' if fault == 'html' else 'plain'}"}
        for key, value in headers.items():
            self.send_header(key, value)
        extra = 1000 if fault == "truncate" and status == 200 else 0
        self.send_header("Content-Length", str(len(data) + extra))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        fake = self.server.fake
        fake.seen.append((self.path, self.headers.get("Authorization")))
        path, api = urlsplit(self.path).path, f"/repos/{REPO}"
        page = re.search(r"[?&]page=(\d+)", self.path)
        if path == f"{api}/releases":
            number = int(page[1]) if page else 1
            if fake.fault in ("same-next", "endless-next"):  # `page` ignored
                following = 2 if fake.fault == "same-next" else number + 1
                link = f'<{fake.url}{path}?per_page=100&page={following}>; rel="next"'
                return self.answer(200, fake.releases, {"Link": link})
            if fake.fault == "next-elsewhere" and number == 1:
                link = f'<{fake.elsewhere}{path}?per_page=100&page=2>; rel="next"'
                return self.answer(200, fake.releases, {"Link": link})
            return self.answer(200, fake.releases if number == 1 else [])
        if path.startswith(f"{api}/releases/tags/"):
            if fake.fault == "api-elsewhere":
                return self.answer(301, b"", {"Location": f"{fake.elsewhere}{self.path}"})
            tag = path.rsplit("/", 1)[1].replace("%40", "@")
            found = [r for r in fake.releases if r["tag_name"] == tag]
            return self.answer(200, found[0]) if found else self.answer(404, {"message": "x"})
        asset = re.fullmatch(rf"{api}/releases/assets/(\d+)", path)
        if asset and fake.fault == "redirect-loop":
            return self.answer(302, b"", {"Location": f"{fake.url}{self.path}"})
        if asset:
            host = fake.elsewhere if fake.fault == "download-elsewhere" else fake.url
            return self.answer(302, b"", {"Location": f"{host}/download/{asset[1]}"})
        if path.startswith("/download/"):
            return self.answer(200, fake.files[int(path.rsplit("/", 1)[1])])
        return self.answer(404, {"message": "Not Found"})


class Releases:
    """Releases on the fake API; each one published is also a commit of the checkout (its
    dvc.lock recording the model's md5) tagged with the release's tag."""

    def __init__(self, git):
        self.git, self.fault = git, None
        self.releases, self.files, self.seen = [], {}, []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.fake = self
        port = self.server.server_address[1]
        self.url, self.elsewhere = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
        serve = self.server.serve_forever
        threading.Thread(target=serve, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def commit(self, tag: str, model: bytes, lock_path: str = "models/model.joblib") -> str:
        """A commit whose dvc.lock records ``model``'s md5 for ``lock_path``, tagged ``tag``."""
        out = {"path": lock_path, "hash": "md5", "md5": hashlib.md5(model).hexdigest()}
        lock = {"schema": "2.0", "stages": {"train": {"cmd": "train", "outs": [out]}}}
        pathlib.Path("dvc.lock").write_text(yaml.safe_dump(lock), encoding="utf-8")
        self.git("add", "dvc.lock")
        self.git("commit", "-q", "--allow-empty", "-m", f"Model of {tag}")
        self.git("tag", "-a", tag, "-m", tag)
        return self.git("rev-parse", "HEAD")

    def publish(
        self,
        tag: str,
        model: bytes,
        *,
        listed: bool = True,
        recorded: bool = True,
        prerelease: bool = False,
        tagged: bool = True,
    ) -> dict:
        """A release with model.joblib and lineage.json; ``listed``: GitHub shows the
        model's digest; ``recorded``: lineage.json holds it; ``tagged``: the checkout has
        the tag (a commit recording the model in dvc.lock)."""
        sha = self.commit(tag, model) if tagged else "d" * 40
        record = {
            "release": None,
            "commit": sha,
            "model": {"sha256": sha256(model) if recorded else None},
        }
        entry = {"tag_name": tag, "draft": False, "prerelease": prerelease, "assets": []}
        entry["target_commitish"] = sha
        self.releases.append(entry)
        self.attach(entry, "model.joblib", model, listed)
        self.attach(entry, "lineage.json", json.dumps(record).encode(), listed)
        return entry

    def attach(self, release: dict, name: str, data: bytes, listed: bool = True) -> None:
        """Upload (or replace, with its digest) the asset ``name``, as an editor can."""
        release["assets"] = [a for a in release["assets"] if a["name"] != name]
        number = len(self.files) + 1
        self.files[number] = data
        digest = f"sha256:{sha256(data)}" if listed else None
        release["assets"].append({"id": number, "name": name, "digest": digest})


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A git checkout of the tests' own, the working directory."""
    monkeypatch.chdir(tmp_path)
    for key, value in {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}.items():
        monkeypatch.setenv(key, value)
    identity = ["-c", "user.name=Tests", "-c", "user.email=tests@example.com"]

    def run(*args: str) -> str:
        done = subprocess.run(["git", *identity, *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    run("init", "-q", "-b", "main")
    return run


@pytest.fixture
def github(monkeypatch, checkout):
    fake = Releases(checkout)
    monkeypatch.setenv("GITHUB_API_URL", fake.url)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_TOKEN", "secret")
    monkeypatch.setenv("GITHUB_API_RETRY_DELAY", "0")
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def refused(capsys, *args: str) -> str:
    """The one line `serve` prints on stderr when it refuses, with exit code 2."""
    assert serve.main([*args, "--port", "0"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: "), error
    assert error.count("\n") == 1, error
    assert "Traceback" not in error
    return error


def test_latest_is_the_highest_published_version(github):
    github.publish("model@v0.1.0", b"first")
    github.publish("model@v0.3.0", b"pre", prerelease=True)
    github.publish("model@v0.2.0", b"second")
    github.publish("other@v9.0.0", b"another model")
    model, record = download.fetch("latest")
    assert (model, record["release"]) == (b"second", "model@v0.2.0")
    assert download.fetch("model@v0.1.0")[0] == b"first"


def test_the_token_goes_to_the_api_not_to_the_download_host(github):
    github.publish("model@v0.1.0", b"first")
    download.fetch("model@v0.1.0")
    sent = dict(github.seen)
    assert sent["/repos/acme/shop/releases/tags/model%40v0.1.0"] == "Bearer secret"
    assert sent["/download/1"] is None


def test_a_download_that_differs_from_the_listed_digest_is_refused(github):
    github.publish("model@v0.1.0", b"published")
    github.files[1] = b"changed on the way"
    with pytest.raises(common.UserError, match="not the published model; not serving it"):
        download.fetch("model@v0.1.0")


def test_without_a_listed_digest_lineage_json_s_is_checked(github):
    github.publish("model@v0.1.0", b"published", listed=False)
    github.files[1] = b"changed on the way"
    with pytest.raises(common.UserError, match="not the published model"):
        download.fetch("model@v0.1.0")


def test_a_model_without_any_digest_is_refused(github):
    github.publish("model@v0.1.0", b"published", listed=False, recorded=False)
    with pytest.raises(common.UserError, match="lists no sha256 digest for model.joblib"):
        download.fetch("model@v0.1.0")


def test_serve_stops_with_one_line_before_listening(github, capsys):
    github.publish("model@v0.1.0", b"published")
    github.files[1] = b"changed on the way"
    assert serve.main(["--release", "model@v0.1.0", "--port", "0"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: model.joblib of model@v0.1.0 has sha256 ")
    assert error.count("\n") == 1
    assert serve.main(["--release", "model@v9.9.9"]) == 2
    assert "HTTP 404" in capsys.readouterr().err
    assert serve.main(["--release", "v1"]) == 2
    assert "give a tag like model@v1.2.0, or latest" in capsys.readouterr().err


def test_serve_stage_fetches_the_release_the_stage_holds(github, checkout, capsys):
    error = refused(capsys, "--stage", "production")
    assert error == (
        "error: --stage production: no model#production#N tag here holds a version; promote "
        "one (Actions > Promote), or `git fetch --tags` to see the latest promotions\n"
    )
    github.publish("model@v0.1.0", b"first")
    for stage in ("model#staging#1", "model#production#1"):
        checkout("tag", "-a", stage, "-m", stage)
    github.publish("model@v0.2.0", b"second")
    for stage in ("model#staging#2", "model#production#2"):
        checkout("tag", "-a", stage, "-m", stage)
    assert download.for_stage("production") == "model@v0.2.0"
    checkout("tag", "-a", "model#production#3", "-m", "roll back", "model@v0.1.0^{commit}")
    assert download.for_stage("production") == "model@v0.1.0"
    assert download.for_stage("staging") == "model@v0.2.0"
    assert download.fetch(download.for_stage("production"))[0] == b"first"
    github.files[1] = b"changed on the way"  # the stage's model, as downloaded
    assert serve.main(["--stage", "production", "--port", "0"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("serve: production holds model@v0.1.0\n")
    assert "error: model.joblib of model@v0.1.0 has sha256 " in error


class Payload:
    """Unpickling it touches ``marker``: what an attacker's model file could run instead."""

    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def test_a_model_replaced_with_both_its_digests_is_refused_and_never_loaded(
    github, capsys, tmp_path
):
    release = github.publish("model@v0.1.0", b"the reviewed model")
    marker = tmp_path / "payload-ran"
    evil = tmp_path / "evil.joblib"
    joblib.dump(Payload(marker), evil)
    # whoever can edit the release's assets replaces the model, its digest and lineage.json's
    record = json.loads(github.files[2])
    record["model"]["sha256"] = sha256(evil.read_bytes())
    github.attach(release, "model.joblib", evil.read_bytes())
    github.attach(release, "lineage.json", json.dumps(record).encode())

    error = refused(capsys, "--release", "model@v0.1.0")
    assert error.startswith("error: model.joblib of model@v0.1.0 has md5 ")
    assert "that dvc.lock records at model@v0.1.0 in git: not the released model" in error
    assert not marker.exists()
    assert refused(capsys, "--release", "latest") == error
    assert not marker.exists()
    joblib.load(evil)  # the control: loading this file does run its code
    assert marker.exists()


def test_a_tag_missing_here_asks_for_git_fetch_before_downloading(github, capsys):
    github.publish("model@v0.1.0", b"published", tagged=False)
    error = refused(capsys, "--release", "model@v0.1.0")
    assert error == (
        "error: tag model@v0.1.0 is not in this checkout, so its model cannot be checked "
        "against git; `git fetch --tags` and run again\n"
    )
    assert [path for path, _ in github.seen if "assets" in path or "download" in path] == []


def test_a_dvc_lock_at_the_tag_without_the_model_is_refused(github, capsys):
    release = github.publish("model@v0.1.0", b"published", tagged=False)
    sha = github.commit("model@v0.1.0", b"published", lock_path="models/other.joblib")
    release["target_commitish"] = sha
    github.files[2] = json.dumps({"commit": sha, "model": {}}).encode()
    github.releases[0]["assets"][1]["digest"] = None
    error = refused(capsys, "--release", "model@v0.1.0")
    assert error == (
        "error: dvc.lock at model@v0.1.0 records no md5 for models/model.joblib, so the "
        "download cannot be checked against git; not serving it\n"
    )


@pytest.mark.parametrize("claim", ["target_commitish", "lineage"])
def test_a_release_naming_another_commit_than_its_tag_is_refused(github, capsys, claim):
    release = github.publish("model@v0.1.0", b"published")
    other = "e" * 40
    if claim == "target_commitish":
        release["target_commitish"] = other
        what = "the release's target_commitish"
    else:
        record = json.loads(github.files[2])
        github.attach(release, "lineage.json", json.dumps({**record, "commit": other}).encode())
        what = "lineage.json's commit"
    error = refused(capsys, "--release", "model@v0.1.0")
    assert error.startswith(f"error: {what} eeeeeee is not ")
    assert error.endswith(", the commit of model@v0.1.0 here; not serving it\n")
    release["target_commitish"] = "main"  # a branch name is no claim about the commit
    if claim == "target_commitish":
        assert download.fetch("model@v0.1.0")[0] == b"published"


def test_a_body_cut_short_is_asked_again_then_one_line(github, capsys):
    github.publish("model@v0.1.0", b"published")
    github.fault = "truncate"
    error = refused(capsys, "--release", "model@v0.1.0")
    assert "/releases/tags/model%40v0.1.0: the answer was cut short (" in error
    assert "1000 more expected)" in error
    assert len(github.seen) == 4  # four attempts, then give up


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("html", "answered an HTML page, not GitHub's JSON (a proxy or captive portal?)"),
        ("text", "answered something that is not JSON (text/plain, 2 bytes)"),
    ],
)
def test_a_captive_portal_s_page_or_other_non_json_is_one_line(github, capsys, fault, reason):
    github.publish("model@v0.1.0", b"published")
    github.fault = fault
    error = refused(capsys, "--release", "latest")
    assert error.endswith(f"/releases?per_page=100: {reason}\n")
    assert len(github.seen) == 1


@pytest.mark.parametrize(
    ("fault", "requests", "reason"),
    [
        ("same-next", 2, "the next page is one already read (the API ignores `page`?)"),
        ("endless-next", 100, "more than 100 pages"),
    ],
)
def test_pages_without_end_stop_after_a_bounded_number_of_requests(
    github, capsys, fault, requests, reason
):
    github.publish("model@v0.1.0", b"published")
    github.fault = fault
    error = refused(capsys, "--release", "latest")
    assert reason in error
    assert len(github.seen) == requests


def test_a_next_page_on_another_host_is_not_asked_with_the_token(github, capsys):
    github.publish("model@v0.1.0", b"published")
    github.fault = "next-elsewhere"
    error = refused(capsys, "--release", "latest")
    assert "the next page is on another host (localhost:" in error
    assert error.endswith("; not asking for it\n")
    assert len(github.seen) == 1


def test_a_redirect_loop_is_one_line_after_a_few_requests(github, capsys):
    github.publish("model@v0.1.0", b"published")
    github.fault = "redirect-loop"
    error = refused(capsys, "--release", "model@v0.1.0")
    assert error.endswith("HTTP 302 more than 5 redirects (a redirect loop?); not following\n")
    assert len(github.seen) == 1 + 6  # the release, then the asset and 5 redirects


def test_a_download_may_go_to_another_host_without_the_token_an_api_call_may_not(github, capsys):
    github.publish("model@v0.1.0", b"published")
    github.fault = "download-elsewhere"
    assert download.fetch("model@v0.1.0")[0] == b"published"
    assert github.seen[-1] == ("/download/2", None)  # on localhost, not 127.0.0.1
    github.fault, github.seen[:] = "api-elsewhere", []
    error = refused(capsys, "--release", "model@v0.1.0")
    assert "HTTP 301 redirected to another host (localhost:" in error
    assert len(github.seen) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://someone:ghp_hunter2secret@{host}",
        "http://ghp_hunter2secret@{host}/",
        "http://{host}/?access_token=ghp_hunter2secret",
    ],
)
def test_a_credential_in_github_api_url_is_masked(github, capsys, monkeypatch, url):
    monkeypatch.setenv("GITHUB_API_URL", url.format(host=github.url.split("://")[1]))
    error = refused(capsys, "--release", "latest")
    assert "ghp_hunter2secret" not in error
    assert "***" in error
    assert "holds a credential or a query; give the bare API address" in error
    assert github.seen == []
