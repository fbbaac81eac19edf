"""The fake GitHub REST API answers like GitHub for the calls the workflows make."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fake_github import FakeGitHub

SHA = re.compile(r"[0-9a-f]{40}")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: object


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def call(url, method="GET", body=None, *, data=None, token="dummy", headers=None, follow=True):
    sent = {"Accept": "application/vnd.github+json", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    opener = urllib.request.build_opener(*([] if follow else [_NoRedirect]))
    try:
        response = opener.open(request, timeout=10)
    except urllib.error.HTTPError as err:
        response = err
    with response:
        raw = response.read()
        json_body = "json" in response.headers.get("Content-Type", "")
        return Response(
            response.status, dict(response.headers), json.loads(raw) if json_body else raw
        )


def links(response: Response) -> dict[str, str]:
    return {
        rel: url
        for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("Link", ""))
    }


@pytest.fixture
def gh():
    with FakeGitHub() as fake:
        yield fake


def api(gh: FakeGitHub, path: str) -> str:
    return f"{gh.url}/repos/acme/project{path}"


def test_missing_authorization_is_401_and_recorded(gh):
    response = call(api(gh, "/releases"), token=None)
    assert response.status == 401
    assert response.body["message"] == "Requires authentication"
    assert gh.calls[-1]["status"] == 401
    assert gh.calls[-1]["authorization"] is None


def test_unknown_calls_are_404_and_recorded(gh, capfd):
    assert call(api(gh, "/pulls/1/merge")).status == 404
    assert call(f"{gh.url}/repos/other/repo/releases").status == 404
    response = call(api(gh, "/releases/latest"), "POST", {})
    assert response.status == 404
    assert response.body["message"] == "Not Found"
    assert response.body["documentation_url"].startswith("https://docs.github.com/")
    assert [(c["method"], c["path"], c["status"]) for c in gh.calls] == [
        ("GET", "/repos/acme/project/pulls/1/merge", 404),
        ("GET", "/repos/other/repo/releases", 404),
        ("POST", "/repos/acme/project/releases/latest", 404),
    ]
    assert gh.calls[-1]["body"] == {}
    assert gh.calls[-1]["authorization"] == "Bearer dummy"
    assert capfd.readouterr().err == ""


def test_comment_pages_follow_link_headers(gh):
    for i in range(150):
        gh.add_comment(7, f"comment {i}", "alice")
    gh.add_comment(8, "elsewhere", "bob")
    url, pages, seen = api(gh, "/issues/7/comments?per_page=100"), [], []
    while url:
        response = call(url)
        assert response.status == 200
        pages.append(response)
        seen += [c["body"] for c in response.body]
        url = links(response).get("next")
    assert seen == [f"comment {i}" for i in range(150)]
    base = api(gh, "/issues/7/comments")
    assert pages[0].headers["Link"] == (
        f'<{base}?per_page=100&page=2>; rel="next", <{base}?per_page=100&page=2>; rel="last"'
    )
    assert links(pages[1]) == {
        "prev": f"{base}?per_page=100&page=1",
        "first": f"{base}?per_page=100&page=1",
    }
    first = pages[0].body[0]
    assert first["user"]["login"] == "alice"
    assert first["user"]["type"] == "User"
    assert first["html_url"].endswith(f"/acme/project/issues/7#issuecomment-{first['id']}")
    assert "issue_number" not in first

    default = call(base)
    assert len(default.body) == 30
    assert links(default) == {"next": f"{base}?page=2", "last": f"{base}?page=5"}
    assert len(call(links(default)["last"]).body) == 30
    assert len(call(f"{base}?per_page=1000").body) == 100
    single = call(api(gh, "/issues/8/comments"))
    assert [c["body"] for c in single.body] == ["elsewhere"]
    assert "Link" not in single.headers
    assert call(api(gh, "/issues/9/comments")).body == []


def test_per_page_max_is_configurable():
    with FakeGitHub(per_page_max=50) as gh:
        for i in range(60):
            gh.add_comment(1, str(i), "carol")
        response = call(api(gh, "/issues/1/comments?per_page=100"))
        assert len(response.body) == 50
        assert links(response)["last"].endswith("per_page=100&page=2")


def test_create_and_edit_comments(gh):
    created = call(api(gh, "/issues/7/comments"), "POST", {"body": "first report"})
    assert created.status == 201
    comment = created.body
    assert comment["user"]["login"] == "github-actions[bot]"
    assert comment["user"]["type"] == "Bot"
    assert (
        created.headers["Location"]
        == comment["url"]
        == api(gh, f"/issues/comments/{comment['id']}")
    )
    assert gh.comments[comment["id"]]["issue_number"] == 7
    assert [c["body"] for c in gh.comments_on(7)] == ["first report"]

    edited = call(comment["url"], "PATCH", {"body": "second report"})
    assert edited.status == 200
    assert edited.body["body"] == "second report"
    assert edited.body["updated_at"] > comment["updated_at"]
    assert edited.body["created_at"] == comment["created_at"]
    assert gh.comments_on(7)[0]["body"] == "second report"
    assert call(comment["url"]).body["body"] == "second report"

    assert call(api(gh, "/issues/comments/999999"), "PATCH", {"body": "x"}).status == 404
    missing = call(api(gh, "/issues/7/comments"), "POST", {})
    assert missing.status == 422
    assert missing.body["errors"][0]["field"] == "body"
    bad = call(api(gh, "/issues/7/comments"), "POST", data=b"{not json")
    assert bad.status == 400
    assert gh.calls[-1]["body"] == len(b"{not json")
    assert call(comment["url"], "DELETE").status == 204
    assert gh.comments_on(7) == []


def test_create_and_find_releases(gh):
    payload = {
        "tag_name": "pkg@1.0.0",
        "target_commitish": "main",
        "name": "pkg 1.0.0",
        "body": "notes",
    }
    created = call(api(gh, "/releases"), "POST", payload)
    assert created.status == 201
    release = created.body
    assert {k: release[k] for k in payload} == payload
    assert release["draft"] is False
    assert release["prerelease"] is False
    assert release["assets"] == []
    assert release["author"]["login"] == "github-actions[bot]"
    assert (
        release["upload_url"]
        == f"{gh.url}/uploads/repos/acme/project/releases/{release['id']}/assets{{?name,label}}"
    )
    assert release["html_url"] == "https://github.com/acme/project/releases/tag/pkg%401.0.0"
    assert SHA.fullmatch(gh.refs["refs/tags/pkg@1.0.0"])

    duplicate = call(api(gh, "/releases"), "POST", payload)
    assert duplicate.status == 422
    assert duplicate.body["message"] == "Validation Failed"
    assert duplicate.body["errors"] == [
        {"resource": "Release", "code": "already_exists", "field": "tag_name"}
    ]
    assert call(api(gh, "/releases"), "POST", {"name": "no tag"}).status == 422

    for path in (
        "/releases/tags/pkg%401.0.0",
        "/releases/tags/pkg@1.0.0",
        f"/releases/{release['id']}",
    ):
        assert call(api(gh, path)).body["id"] == release["id"]
    missing = call(api(gh, "/releases/tags/pkg@9.9.9"))
    assert missing.status == 404
    assert missing.body["message"] == "Not Found"
    assert gh.calls[-1]["path"] == "/repos/acme/project/releases/tags/pkg@9.9.9"


def test_latest_release_and_listing(gh):
    assert call(api(gh, "/releases/latest")).status == 404
    for tag, extra in [
        ("v1", {}),
        ("v2", {}),
        ("v3rc", {"prerelease": True}),
        ("v4", {"draft": True}),
    ]:
        assert call(api(gh, "/releases"), "POST", {"tag_name": tag, **extra}).status == 201
    assert call(api(gh, "/releases/latest")).body["tag_name"] == "v2"
    assert "refs/tags/v4" not in gh.refs
    assert [r["tag_name"] for r in gh.releases] == ["v1", "v2", "v3rc", "v4"]

    url, tags = api(gh, "/releases?per_page=3"), []
    while url:
        response = call(url)
        tags += [r["tag_name"] for r in response.body]
        url = links(response).get("next")
    assert tags == ["v4", "v3rc", "v2", "v1"]


def test_release_assets_upload_and_download(gh):
    release = call(api(gh, "/releases"), "POST", {"tag_name": "pkg@1.0.0"}).body
    content = bytes(range(256)) * 40
    upload = release["upload_url"].split("{")[0]
    query = urlencode({"name": "model.tar.gz", "label": "Model"})
    headers = {"Content-Type": "application/gzip"}
    created = call(f"{upload}?{query}", "POST", data=content, headers=headers)
    assert created.status == 201
    asset = created.body
    assert asset["name"] == "model.tar.gz"
    assert asset["label"] == "Model"
    assert asset["size"] == len(content)
    assert asset["content_type"] == "application/gzip"
    assert asset["state"] == "uploaded"
    assert asset["url"] == api(gh, f"/releases/assets/{asset['id']}")
    assert (
        asset["browser_download_url"]
        == f"{gh.url}/acme/project/releases/download/pkg%401.0.0/model.tar.gz"
    )
    assert gh.assets[asset["id"]] == content
    assert gh.calls[-1]["body"] == len(content)

    again = call(f"{upload}?name=model.tar.gz", "POST", data=b"x", headers=headers)
    assert again.status == 422
    assert again.body["errors"] == [
        {"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}
    ]
    assert call(f"{upload}?label=nameless", "POST", data=b"x", headers=headers).status == 422
    elsewhere = f"{gh.url}/uploads/repos/acme/project/releases/999999/assets?name=a"
    assert call(elsewhere, "POST", data=b"x", headers=headers).status == 404

    assert [a["id"] for a in call(api(gh, "/releases/tags/pkg@1.0.0")).body["assets"]] == [
        asset["id"]
    ]
    assert call(asset["url"]).body["name"] == "model.tar.gz"
    octet = {"Accept": "application/octet-stream"}
    redirect = call(asset["url"], headers=octet, follow=False)
    assert redirect.status == 302
    assert redirect.headers["Location"] == asset["browser_download_url"]
    downloaded = call(asset["url"], headers=octet)
    assert downloaded.status == 200
    assert downloaded.body == content
    assert call(asset["browser_download_url"], token=None).body == content
    assert call(api(gh, "/releases/assets/999999"), headers=octet).status == 404


def test_git_tags_and_refs(gh):
    commit = "a" * 40
    payload = {
        "tag": "pkg@1.0.0",
        "message": "Release pkg 1.0.0",
        "object": commit,
        "type": "commit",
    }
    created = call(api(gh, "/git/tags"), "POST", payload)
    assert created.status == 201
    tag = created.body
    assert SHA.fullmatch(tag["sha"])
    assert tag["object"]["sha"] == commit
    assert gh.tags[tag["sha"]]["tag"] == "pkg@1.0.0"
    assert call(api(gh, f"/git/tags/{tag['sha']}")).body["message"] == "Release pkg 1.0.0"
    with FakeGitHub() as other:
        assert call(api(other, "/git/tags"), "POST", payload).body["sha"] == tag["sha"]
    assert call(api(gh, "/git/tags"), "POST", {"tag": "x", "object": commit}).status == 422

    ref = call(api(gh, "/git/refs"), "POST", {"ref": "refs/tags/pkg@1.0.0", "sha": tag["sha"]})
    assert ref.status == 201
    assert ref.body["ref"] == "refs/tags/pkg@1.0.0"
    assert ref.body["object"] == {
        "sha": tag["sha"],
        "type": "tag",
        "url": api(gh, f"/git/tags/{tag['sha']}"),
    }
    assert gh.refs["refs/tags/pkg@1.0.0"] == tag["sha"]
    again = call(api(gh, "/git/refs"), "POST", {"ref": "refs/tags/pkg@1.0.0", "sha": commit})
    assert again.status == 422
    assert again.body["message"] == "Reference already exists"
    assert call(api(gh, "/git/refs"), "POST", {"ref": "tags/x", "sha": commit}).status == 422
    bad_sha = call(api(gh, "/git/refs"), "POST", {"ref": "refs/tags/x", "sha": "nope"})
    assert bad_sha.body["message"] == "Object does not exist"
    light = call(api(gh, "/git/refs"), "POST", {"ref": "refs/tags/light", "sha": "b" * 40})
    assert light.body["object"]["type"] == "commit"

    assert call(api(gh, "/git/ref/tags/pkg%401.0.0")).body["object"]["sha"] == tag["sha"]
    assert call(api(gh, "/git/ref/tags/pkg@1.0.0")).status == 200
    assert call(api(gh, "/git/ref/tags/pkg@2.0.0")).status == 404
    listed = call(api(gh, "/tags")).body
    assert [(t["name"], t["commit"]["sha"]) for t in listed] == [
        ("pkg@1.0.0", commit),
        ("light", "b" * 40),
    ]


def test_deny_writes_answers_403(gh):
    release = call(api(gh, "/releases"), "POST", {"tag_name": "v1"}).body
    comment = gh.add_comment(7, "seed", "alice")
    gh.deny_writes = True
    upload = release["upload_url"].split("{")[0] + "?name=a.bin"
    for url, method, body in [
        (api(gh, "/issues/7/comments"), "POST", {"body": "x"}),
        (api(gh, f"/issues/comments/{comment['id']}"), "PATCH", {"body": "x"}),
        (api(gh, "/releases"), "POST", {"tag_name": "v2"}),
        (api(gh, "/git/refs"), "POST", {"ref": "refs/tags/v3", "sha": "c" * 40}),
    ]:
        response = call(url, method, body)
        assert response.status == 403
        assert response.body["message"] == "Resource not accessible by integration"
    assert (
        call(upload, "POST", data=b"x", headers={"Content-Type": "application/octet-stream"}).status
        == 403
    )
    assert call(api(gh, "/releases")).status == 200
    assert [r["tag_name"] for r in gh.releases] == ["v1"]
    assert gh.comments_on(7) == [comment]
    assert release["assets"] == []
    assert "refs/tags/v3" not in gh.refs


def test_fail_next_answers_502_then_recovers(gh):
    gh.fail_next = 2
    assert call(api(gh, "/releases")).status == 502
    assert call(api(gh, "/issues/1/comments"), "POST", {"body": "x"}).status == 502
    assert call(api(gh, "/releases")).status == 200
    assert [c["status"] for c in gh.calls] == [502, 502, 200]
    assert gh.fail_next == 0
    assert gh.comments == {}


def test_concurrent_writes_get_distinct_ids(gh):
    def post(i: int) -> int:
        return call(api(gh, "/issues/3/comments"), "POST", {"body": str(i)}).body["id"]

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(post, range(40)))
    assert len(set(ids)) == 40
    assert sorted(c["body"] for c in gh.comments_on(3)) == sorted(str(i) for i in range(40))


def git(*args, cwd: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    identity = ["-c", "user.name=Tests", "-c", "user.email=tests@example.com"]
    result = subprocess.run(
        ["git", *identity, *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_bare_repo_receives_tags(tmp_path):
    work, bare, clone = tmp_path / "work", tmp_path / "origin.git", tmp_path / "clone"
    git("init", "-q", "-b", "main", str(work))
    (work / "README.md").write_text("hello\n", encoding="utf-8")
    git("add", "README.md", cwd=work)
    git("commit", "-q", "-m", "Initial commit", cwd=work)
    head = git("rev-parse", "HEAD", cwd=work)
    git("clone", "-q", "--bare", str(work), str(bare))
    git("clone", "-q", str(bare), str(clone))

    with FakeGitHub(bare_repo=bare) as gh:
        assert call(api(gh, "/git/ref/heads/main")).body["object"]["sha"] == head
        payload = {
            "tag": "pkg@1.0.0",
            "message": "Release pkg 1.0.0",
            "object": head,
            "type": "commit",
        }
        tag = call(api(gh, "/git/tags"), "POST", payload).body
        ref = call(api(gh, "/git/refs"), "POST", {"ref": "refs/tags/pkg@1.0.0", "sha": tag["sha"]})
        assert ref.status == 201
        assert (
            call(api(gh, "/git/refs"), "POST", {"ref": "refs/tags/light", "sha": head}).status
            == 201
        )
        release = call(
            api(gh, "/releases"), "POST", {"tag_name": "pkg@2.0.0", "target_commitish": "main"}
        )
        assert release.status == 201

        missing = call(api(gh, "/git/refs"), "POST", {"ref": "refs/tags/ghost", "sha": "1" * 40})
        assert missing.body["message"] == "Object does not exist"
        assert call(api(gh, "/git/tags"), "POST", {**payload, "object": "0" * 40}).status == 422
        nowhere = {"tag_name": "pkg@3.0.0", "target_commitish": "no-such-branch"}
        assert call(api(gh, "/releases"), "POST", nowhere).status == 422
        assert gh.refs["refs/tags/pkg@1.0.0"] == tag["sha"]
        assert gh.tags[tag["sha"]]["object"]["sha"] == head
        listed = call(api(gh, "/tags")).body
        assert sorted((t["name"], t["commit"]["sha"]) for t in listed) == [
            ("light", head),
            ("pkg@1.0.0", head),
            ("pkg@2.0.0", head),
        ]

    remote = git("ls-remote", "--tags", str(bare)).splitlines()
    assert sorted(remote) == sorted(
        [
            f"{head}\trefs/tags/light",
            f"{tag['sha']}\trefs/tags/pkg@1.0.0",
            f"{head}\trefs/tags/pkg@1.0.0^{{}}",
            f"{head}\trefs/tags/pkg@2.0.0",
        ]
    )
    git("fetch", "-q", "--tags", cwd=clone)
    assert git("cat-file", "-t", "pkg@1.0.0", cwd=clone) == "tag"
    subject = git("for-each-ref", "--format=%(contents:subject)", "refs/tags/pkg@1.0.0", cwd=clone)
    assert subject == "Release pkg 1.0.0"
    assert git("rev-parse", "pkg@2.0.0^{commit}", cwd=clone) == head


def test_matching_refs_lists_refs_by_prefix(gh):
    sha = "a" * 40
    gh.refs["refs/tags/model@v0.1.0"] = sha
    gh.refs["refs/tags/other@v1.0.0"] = sha
    found = call(api(gh, "/git/matching-refs/tags/model@v"))
    assert found.status == 200
    assert [r["ref"] for r in found.body] == ["refs/tags/model@v0.1.0"]
    assert call(api(gh, "/git/matching-refs/tags/nothing")).body == []


def test_get_commit_resolves_in_the_bare_repository(tmp_path):
    work, bare = tmp_path / "work", tmp_path / "bare.git"
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t"}
    env = {**os.environ, **env, "GIT_COMMITTER_EMAIL": "t@e"}
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    subprocess.run(["git", "-C", str(work), "commit", "-q", "--allow-empty", "-m", "x"], env=env)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    head = subprocess.run(
        ["git", "-C", str(work), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    with FakeGitHub("acme/project", bare_repo=bare) as fake:
        found = call(f"{fake.url}/repos/acme/project/commits/{head}")
        assert found.status == 200
        assert found.body["sha"] == head
        missing = call(f"{fake.url}/repos/acme/project/commits/{'b' * 40}")
        assert missing.status == 422


def test_draft_releases_get_assets_then_their_tag_at_publication(tmp_path):
    work, bare = tmp_path / "work", tmp_path / "origin.git"
    git("init", "-q", "-b", "main", str(work))
    (work / "README.md").write_text("hello\n", encoding="utf-8")
    git("add", "README.md", cwd=work)
    git("commit", "-q", "-m", "Initial commit", cwd=work)
    head = git("rev-parse", "HEAD", cwd=work)
    git("clone", "-q", "--bare", str(work), str(bare))
    with FakeGitHub(bare_repo=bare) as gh:
        fields = {"tag_name": "pkg@1.0.0", "target_commitish": head, "draft": True}
        draft = call(api(gh, "/releases"), "POST", fields).body
        twin = call(api(gh, "/releases"), "POST", fields)
        assert twin.status == 201  # GitHub lets drafts share a tag name
        assert "refs/tags/pkg@1.0.0" not in gh._sync_refs()
        assert draft["html_url"].endswith(f"/releases/tag/untagged-{draft['id']}")
        assert call(api(gh, "/releases/tags/pkg@1.0.0")).status == 404  # drafts: by id only
        upload = draft["upload_url"].split("{")[0]
        headers = {"Content-Type": "application/octet-stream"}
        asset = call(f"{upload}?name=a.bin", "POST", data=b"abc", headers=headers).body
        digest = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        assert asset["digest"] == digest
        assert f"/download/untagged-{draft['id']}/a.bin" in asset["browser_download_url"]
        octet = {"Accept": "application/octet-stream"}
        assert call(asset["url"], headers=octet).body == b"abc"

        assert call(api(gh, f"/releases/assets/{asset['id']}"), "DELETE").status == 204
        assert call(api(gh, f"/releases/assets/{asset['id']}"), "DELETE").status == 404
        assert call(api(gh, f"/releases/{draft['id']}")).body["assets"] == []
        assert call(api(gh, f"/releases/{twin.body['id']}"), "DELETE").status == 204
        assert [r["id"] for r in gh.releases] == [draft["id"]]

        call(f"{upload}?name=a.bin", "POST", data=b"abc", headers=headers)
        published = call(api(gh, f"/releases/{draft['id']}"), "PATCH", {"draft": False}).body
        assert published["draft"] is False
        assert published["published_at"]
        assert published["html_url"].endswith("/releases/tag/pkg%401.0.0")
        assert gh.refs["refs/tags/pkg@1.0.0"] == head  # the tag GitHub made at publication
        (moved,) = published["assets"]
        assert moved["browser_download_url"].endswith("/download/pkg%401.0.0/a.bin")
        assert call(moved["browser_download_url"], token=None).body == b"abc"
        assert call(api(gh, "/releases"), "POST", fields).status == 422  # the tag is taken
        another = call(api(gh, "/releases"), "POST", {**fields, "tag_name": "pkg@1.0.1"}).body
        rename = {"draft": False, "tag_name": "pkg@1.0.0"}
        clash = call(api(gh, f"/releases/{another['id']}"), "PATCH", rename)
        assert clash.status == 422
        assert clash.body["errors"][0]["code"] == "already_exists"
        edited = call(api(gh, f"/releases/{draft['id']}"), "PATCH", {"prerelease": True}).body
        assert (edited["prerelease"], edited["draft"]) == (True, False)


def test_fail_write_breaks_the_nth_write_of_a_kind(gh):
    gh.fail_write("release", nth=2)
    gh.fail_write("upload", lost=True)
    first = call(api(gh, "/releases"), "POST", {"tag_name": "a", "draft": True})
    assert first.status == 201
    second = call(api(gh, "/releases"), "POST", {"tag_name": "b", "draft": True})
    assert second.status == 503
    assert [r["tag_name"] for r in gh.releases] == ["a"]  # refused: not applied
    assert call(api(gh, "/releases"), "POST", {"tag_name": "b", "draft": True}).status == 201

    upload = first.body["upload_url"].split("{")[0] + "?name=x.bin"
    headers = {"Content-Type": "application/octet-stream"}
    lost = call(upload, "POST", data=b"xyz", headers=headers)
    assert lost.status == 502
    assert [a["name"] for a in gh.releases[0]["assets"]] == ["x.bin"]  # applied all the same
    assert call(upload, "POST", data=b"xyz", headers=headers).status == 422
    with pytest.raises(ValueError, match="unknown kind of write"):
        gh.fail_write("nonsense")


def test_run_approvals_list_the_environment_reviews_of_a_run(gh):
    assert call(api(gh, "/actions/runs/1/approvals")).body == []
    gh.add_approval(1, "octocat", "Ship it")
    gh.add_approval(1, "hubot", "Not yet", state="rejected", environment="staging")
    response = call(api(gh, "/actions/runs/1/approvals"))
    assert response.status == 200
    first, second = response.body
    assert (first["user"]["login"], first["state"], first["comment"]) == (
        "octocat",
        "approved",
        "Ship it",
    )
    assert [e["name"] for e in first["environments"]] == ["model-release"]
    assert set(first["environments"][0]) == {
        "id",
        "node_id",
        "name",
        "url",
        "html_url",
        "created_at",
        "updated_at",
    }
    assert (second["state"], second["environments"][0]["name"]) == ("rejected", "staging")
    assert call(api(gh, "/actions/runs/2/approvals")).body == []
    assert call(api(gh, "/actions/runs/1/approvals"), token=None).status == 401


def test_a_tag_pushed_with_git_reads_back_like_one_made_through_the_api(tmp_path):
    work, bare = tmp_path / "work", tmp_path / "origin.git"
    git("init", "-q", "-b", "main", str(work))
    git("commit", "-q", "--allow-empty", "-m", "Initial commit", cwd=work)
    head = git("rev-parse", "HEAD", cwd=work)
    git("tag", "-a", "model@v0.1.0", "-m", "Publish model@v0.1.0", cwd=work)
    git("clone", "-q", "--bare", str(work), str(bare))
    with FakeGitHub(bare_repo=bare) as gh:
        ref = call(api(gh, "/git/ref/tags/model@v0.1.0")).body["object"]
        assert ref["type"] == "tag"
        tag = call(api(gh, f"/git/tags/{ref['sha']}")).body
        assert (tag["tag"], tag["message"]) == ("model@v0.1.0", "Publish model@v0.1.0\n")
        assert tag["object"] == {"sha": head, "type": "commit", "url": tag["object"]["url"]}
        assert tag["tagger"]["name"] == "Tests"
        assert call(api(gh, f"/git/tags/{'1' * 40}")).status == 404
