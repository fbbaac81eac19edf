"""A local stand-in for the parts of GitHub's REST API that generated workflows call."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import subprocess
import threading
import zlib
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

DOCS = "https://docs.github.com/rest"
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
BOT_ID = 41898282
SHA = re.compile(r"[0-9a-f]{40}")
BAD_REF = "Reference name must contain at least three slash-separated components."
# The writes FakeGitHub.fail_write can break, by the handler that makes them.
WRITE_KINDS = {
    "_create_release": "release",
    "_upload_asset": "upload",
    "_edit_release": "patch",
    "_delete_asset": "delete",
    "_create_tag": "tag",
    "_create_ref": "ref",
}


def _error(status: int, message: str, doc: str = "", errors: list | None = None) -> tuple:
    body = {"message": message, "documentation_url": DOCS + doc, "status": str(status)}
    if errors:
        body["errors"] = errors
    return status, body, {}


def _invalid(resource: str, field: str, code: str = "missing_field") -> tuple:
    errors = [{"resource": resource, "code": code, "field": field}]
    return _error(422, "Validation Failed", errors=errors)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"
    sys_version = ""

    def log_message(self, *args) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, payload, headers = self.server.fake._dispatch(
            self.command, self.path, self.headers, raw
        )
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve


class FakeGitHub:
    def __init__(
        self,
        repo: str = "acme/project",
        *,
        bare_repo: Path | None = None,
        per_page_max: int = 100,
        bot_login: str = "github-actions[bot]",
    ) -> None:
        self.repo, self.per_page_max, self.bot_login = repo, per_page_max, bot_login
        self.bare_repo = Path(bare_repo) if bare_repo else None
        self.url = ""
        self.calls: list[dict] = []
        self.comments: dict[int, dict] = {}
        self.releases: list[dict] = []
        self.tags: dict[str, dict] = {}
        self.refs: dict[str, str] = {}
        self.assets: dict[int, bytes] = {}
        self.pulls: dict[int, dict] = {}
        # Other repositories (the actions a workflow pins): {"owner/repo": {tag: sha}} and
        # the tag of each one's latest release.
        self.upstream_tags: dict[str, dict[str, str]] = {}
        self.upstream_latest: dict[str, str] = {}
        self.deny_writes = False
        self.fail_next = 0
        self.faults: list[dict] = []
        self._peeled: dict[str, str] = {}
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._numbers = itertools.count(1)
        self._ticks = itertools.count()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        api, ups = rf"/repos/{re.escape(repo)}", rf"/uploads/repos/{re.escape(repo)}"
        routes = [
            ("GET", rf"{api}/issues/(\d+)/comments", self._list_comments),
            ("POST", rf"{api}/issues/(\d+)/comments", self._create_comment),
            ("GET|PATCH|DELETE", rf"{api}/issues/comments/(\d+)", self._comment),
            ("GET", rf"{api}/releases", self._list_releases),
            ("POST", rf"{api}/releases", self._create_release),
            ("GET", rf"{api}/releases/latest", self._latest_release),
            ("GET", rf"{api}/releases/tags/(.+)", self._release_by_tag),
            ("GET", rf"{api}/releases/(\d+)", self._get_release),
            ("PATCH|DELETE", rf"{api}/releases/(\d+)", self._edit_release),
            ("GET", rf"{api}/releases/assets/(\d+)", self._get_asset),
            ("DELETE", rf"{api}/releases/assets/(\d+)", self._delete_asset),
            ("POST", rf"{ups}/releases/(\d+)/assets", self._upload_asset),
            ("POST", rf"{api}/git/tags", self._create_tag),
            ("GET", rf"{api}/git/tags/([0-9a-f]{{40}})", self._get_tag),
            ("POST", rf"{api}/git/refs", self._create_ref),
            ("GET", rf"{api}/git/ref/(.+)", self._get_ref),
            ("GET", rf"{api}/git/matching-refs/(.*)", self._matching_refs),
            ("GET", rf"{api}/tags", self._list_tags),
            ("GET", rf"{api}/commits/([^/]+)", self._get_commit),
            ("GET", rf"/{re.escape(repo)}/releases/download/([^/]+)/([^/]+)", self._download),
            ("GET", rf"{api}/pulls", self._list_pulls),
            ("POST", rf"{api}/pulls", self._create_pull),
            ("GET|PATCH", rf"{api}/pulls/(\d+)", self._pull),
            # Any other repository: its latest release and the commit of a tag.
            ("GET", r"/repos/([\w.-]+/[\w.-]+)/releases/latest", self._upstream_release),
            ("GET", r"/repos/([\w.-]+/[\w.-]+)/commits/([^/]+)", self._upstream_commit),
        ]
        # Issues (numbered with pull requests, as on GitHub) and workflow dispatches.
        self.issues: dict[int, dict] = {}
        self.dispatches: list[dict] = []
        # Environment reviews of workflow runs: {run id: [GitHub's environment approvals]}.
        # The fake keeps no runs, so a run it was told nothing about has no reviews.
        self.approvals: dict[int, list[dict]] = {}
        routes += [
            ("GET", rf"{api}/actions/runs/(\d+)/approvals", self._run_approvals),
            ("GET", rf"{api}/issues", self._list_issues),
            ("POST", rf"{api}/issues", self._create_issue),
            ("GET|PATCH", rf"{api}/issues/(\d+)", self._issue),
            ("POST", rf"{api}/actions/workflows/([^/]+)/dispatches", self._dispatch_workflow),
        ]
        self._routes = [(m.split("|"), re.compile(p, re.I), h) for m, p, h in routes]

    def start(self) -> FakeGitHub:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def add_comment(self, issue_number: int, body: str, login: str) -> dict:
        with self._lock:
            cid, now = next(self._ids), self._now()
            comment = {"id": cid, "issue_number": issue_number, "body": body}
            comment.update(user=self._user(login), created_at=now, updated_at=now)
            self.comments[cid] = comment
            return comment

    def add_upstream_release(self, repo: str, tag: str, sha: str, *, latest: bool = True) -> None:
        """Another repository's release `tag` at commit `sha` (its latest one by default)."""
        with self._lock:
            self.upstream_tags.setdefault(repo, {})[tag] = sha
            if latest:
                self.upstream_latest[repo] = tag

    def fail_write(
        self, kind: str, nth: int = 1, times: int = 1, *, lost: bool = False, status: int = 503
    ) -> None:
        """Make the ``nth`` write of ``kind`` from now (a value of WRITE_KINDS), and the
        ``times - 1`` after it, fail: answered ``status`` and not applied, or, when
        ``lost``, applied and then answered 502 as if the reply had been lost."""
        if kind not in WRITE_KINDS.values():
            raise ValueError(f"unknown kind of write {kind!r}")
        with self._lock:
            self.faults.append(
                {"kind": kind, "skip": nth - 1, "left": times, "lost": lost, "status": status}
            )

    def _fault(self, kind: str | None) -> dict | None:
        for fault in self.faults:
            if fault["kind"] == kind and fault["left"] > 0:
                if fault["skip"] > 0:
                    fault["skip"] -= 1
                    return None
                fault["left"] -= 1
                return fault
        return None

    def comments_on(self, issue_number: int) -> list[dict]:
        with self._lock:
            return [c for c in self.comments.values() if c["issue_number"] == issue_number]

    def _dispatch(self, method: str, target: str, headers, raw: bytes) -> tuple:
        parts = urlsplit(target)
        req = SimpleNamespace(method=method, path=parts.path, headers=headers, raw=raw, data=None)
        req.query = dict(parse_qsl(parts.query, keep_blank_values=True))
        bad_json = False
        if raw and not parts.path.startswith("/uploads/"):
            try:
                req.data = json.loads(raw)
            except ValueError:
                bad_json = True
        with self._lock:
            try:
                status, payload, extra = self._respond(req, bad_json)
            except Exception as exc:
                status, payload, extra = _error(500, f"{type(exc).__name__}: {exc}")
            body = req.data if req.data is not None or not raw else len(raw)
            ctype = "application/octet-stream"
            if payload is None:
                payload = b""
            elif not isinstance(payload, bytes):
                payload, ctype = json.dumps(payload).encode(), "application/json; charset=utf-8"
            self.calls.append(
                {
                    "method": method,
                    "path": unquote(parts.path),
                    "query": req.query,
                    "status": status,
                    "body": body,
                    "authorization": headers.get("Authorization"),
                }
            )
        return status, payload, {"Content-Type": ctype, **extra}

    def _respond(self, req, bad_json: bool) -> tuple:
        if self.fail_next > 0:
            self.fail_next -= 1
            return 502, {"message": "Server Error"}, {}
        route = next(
            (
                (h, m)
                for ms, p, h in self._routes
                if (m := p.fullmatch(req.path)) and req.method in ms
            ),
            None,
        )
        if not req.headers.get("Authorization") and (route is None or route[0] != self._download):
            return _error(401, "Requires authentication")
        if route is None:
            return _error(404, "Not Found")
        if self.deny_writes and req.method in ("POST", "PATCH", "PUT", "DELETE"):
            return _error(403, "Resource not accessible by integration")
        if bad_json:
            return _error(400, "Problems parsing JSON")
        handler, match = route
        kind = WRITE_KINDS.get(handler.__name__) if req.method != "GET" else None
        fault = self._fault(kind)
        if fault and not fault["lost"]:
            return _error(fault["status"], "Service Unavailable")
        result = handler(req, *(unquote(group) for group in match.groups()))
        if fault and result[0] < 300:
            return _error(502, "Server Error")  # applied, but the reply is lost
        return result

    def _now(self) -> str:
        return (EPOCH + timedelta(seconds=next(self._ticks))).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _user(self, login: str) -> dict:
        uid = BOT_ID if login == self.bot_login else zlib.crc32(login.encode())
        kind = "Bot" if login.endswith("[bot]") else "User"
        return {"login": login, "id": uid, "node_id": f"U_{uid}", "type": kind}

    def _page(self, req, items: list) -> tuple:
        def number(key: str, default: int) -> int:
            value = req.query.get(key, "")
            return int(value) if value.isdigit() and int(value) > 0 else default

        per_page, page = min(number("per_page", 30), self.per_page_max), number("page", 1)
        last = max(1, -(-len(items) // per_page))
        rels = [(page - 1, "prev")] if page > 1 else []
        rels += [(page + 1, "next"), (last, "last")] if page < last else []
        rels += [(1, "first")] if page > 1 else []
        links = [
            f'<{self.url}{req.path}?{urlencode({**req.query, "page": p})}>; rel="{rel}"'
            for p, rel in rels
        ]
        headers = {"Link": ", ".join(links)} if links else {}
        return 200, items[(page - 1) * per_page : page * per_page], headers

    def _comment_json(self, c: dict) -> dict:
        api, n, cid = f"{self.url}/repos/{self.repo}", c["issue_number"], c["id"]
        out = {k: v for k, v in c.items() if k != "issue_number"}
        out.update(
            node_id=f"IC_{cid}",
            url=f"{api}/issues/comments/{cid}",
            html_url=f"https://github.com/{self.repo}/issues/{n}#issuecomment-{cid}",
            issue_url=f"{api}/issues/{n}",
            author_association="NONE",
        )
        return out

    def _list_comments(self, req, n: str) -> tuple:
        return self._page(req, [self._comment_json(c) for c in self.comments_on(int(n))])

    def _create_comment(self, req, n: str) -> tuple:
        if not isinstance(req.data, dict) or not isinstance(req.data.get("body"), str):
            return _invalid("IssueComment", "body")
        out = self._comment_json(self.add_comment(int(n), req.data["body"], self.bot_login))
        return 201, out, {"Location": out["url"]}

    def _comment(self, req, cid: str) -> tuple:
        comment = self.comments.get(int(cid))
        if comment is None:
            return _error(404, "Not Found")
        if req.method == "DELETE":
            del self.comments[comment["id"]]
            return 204, None, {}
        if req.method == "PATCH":
            if not isinstance(req.data, dict) or not isinstance(req.data.get("body"), str):
                return _invalid("IssueComment", "body")
            comment.update(body=req.data["body"], updated_at=self._now())
        return 200, self._comment_json(comment), {}

    def _find(self, key: str, value) -> dict | None:
        return next((r for r in self.releases if r[key] == value), None)

    def _one_release(self, release: dict | None) -> tuple:
        return (200, release, {}) if release else _error(404, "Not Found")

    def _list_releases(self, req) -> tuple:
        return self._page(req, self.releases[::-1])

    def _latest_release(self, req) -> tuple:
        stable = [r for r in self.releases if not r["draft"] and not r["prerelease"]]
        return self._one_release(max(stable, key=lambda r: r["created_at"], default=None))

    def _published(self, tag: str) -> dict | None:
        return next((r for r in self.releases if r["tag_name"] == tag and not r["draft"]), None)

    def _release_by_tag(self, req, tag: str) -> tuple:
        return self._one_release(self._published(tag))  # drafts are not found by tag

    def _get_release(self, req, rid: str) -> tuple:
        return self._one_release(self._find("id", int(rid)))

    def _create_release(self, req) -> tuple:
        data = req.data if isinstance(req.data, dict) else {}
        tag = data.get("tag_name")
        if not isinstance(tag, str) or not tag:
            return _invalid("Release", "tag_name")
        if self._published(tag):  # drafts may share a tag name; public releases may not
            return _invalid("Release", "tag_name", "already_exists")
        target, draft = data.get("target_commitish") or "main", bool(data.get("draft"))
        if not draft and not self._tag_at(tag, target):
            return _invalid("Release", "target_commitish", "invalid")
        rid, now, api = next(self._ids), self._now(), f"{self.url}/repos/{self.repo}"
        upload = f"{self.url}/uploads/repos/{self.repo}/releases/{rid}/assets"
        release = {
            "id": rid,
            "node_id": f"RE_{rid}",
            "url": f"{api}/releases/{rid}",
            "assets_url": f"{api}/releases/{rid}/assets",
            "upload_url": upload + "{?name,label}",
            "html_url": f"https://github.com/{self.repo}/releases/tag/{quote(tag, safe='')}",
            "tag_name": tag,
            "target_commitish": target,
            "name": data.get("name"),
            "body": data.get("body"),
            "draft": draft,
            "prerelease": bool(data.get("prerelease")),
            "created_at": now,
            "published_at": None if draft else now,
            "author": self._user(self.bot_login),
            "assets": [],
        }
        release["html_url"] = release["html_url"].replace(
            f"/tag/{quote(tag, safe='')}", f"/tag/{quote(self._segment(release), safe='')}"
        )
        self.releases.append(release)
        return 201, release, {"Location": release["url"]}

    def _tag_at(self, tag: str, target: str) -> bool:
        """GitHub creates a release's tag at publication, at target_commitish, unless the
        tag exists (then the release uses it, wherever it points)."""
        if f"refs/tags/{tag}" in self._sync_refs():
            return True
        sha = self._resolve(target)
        return sha is not None and self._write_ref(f"refs/tags/{tag}", sha)

    def _edit_release(self, req, rid: str) -> tuple:
        release = self._find("id", int(rid))
        if release is None:
            return _error(404, "Not Found")
        if req.method == "DELETE":
            self.releases.remove(release)
            for asset in release["assets"]:
                self.assets.pop(asset["id"], None)
            return 204, None, {}
        data = req.data if isinstance(req.data, dict) else {}
        tag = data.get("tag_name", release["tag_name"])
        target = data.get("target_commitish", release["target_commitish"])
        draft = bool(data.get("draft", release["draft"]))
        other = self._published(tag)
        if not draft and other is not None and other is not release:
            return _invalid("Release", "tag_name", "already_exists")
        if not draft and release["draft"]:
            if not self._tag_at(tag, target):
                return _invalid("Release", "target_commitish", "invalid")
            release["published_at"] = self._now()
        for key in ("name", "body", "prerelease"):
            if key in data:
                release[key] = data[key]
        release.update(tag_name=tag, target_commitish=target, draft=draft)
        base = f"https://github.com/{self.repo}/releases"
        release["html_url"] = f"{base}/tag/{quote(self._segment(release), safe='')}"
        for asset in release["assets"]:
            path = f"{quote(self._segment(release), safe='')}/{quote(asset['name'], safe='')}"
            asset["browser_download_url"] = f"{self.url}/{self.repo}/releases/download/{path}"
        return 200, release, {}

    def _delete_asset(self, req, aid: str) -> tuple:
        for release in self.releases:
            for asset in release["assets"]:
                if asset["id"] == int(aid):
                    release["assets"].remove(asset)
                    del self.assets[asset["id"]]
                    return 204, None, {}
        return _error(404, "Not Found")

    def _upload_asset(self, req, rid: str) -> tuple:
        release, name = self._find("id", int(rid)), req.query.get("name")
        if release is None:
            return _error(404, "Not Found")
        if not name:
            return _invalid("ReleaseAsset", "name")
        if any(a["name"] == name for a in release["assets"]):
            return _invalid("ReleaseAsset", "name", "already_exists")
        aid, now = next(self._ids), self._now()
        path = f"{quote(self._segment(release), safe='')}/{quote(name, safe='')}"
        asset = {
            "id": aid,
            "node_id": f"RA_{aid}",
            "url": f"{self.url}/repos/{self.repo}/releases/assets/{aid}",
            "browser_download_url": f"{self.url}/{self.repo}/releases/download/{path}",
            "name": name,
            "label": req.query.get("label", ""),
            "content_type": req.headers.get("Content-Type") or "application/octet-stream",
            "state": "uploaded",
            "size": len(req.raw),
            "digest": "sha256:" + hashlib.sha256(req.raw).hexdigest(),
            "download_count": 0,
            "created_at": now,
            "updated_at": now,
            "uploader": self._user(self.bot_login),
        }
        release["assets"].append(asset)
        self.assets[aid] = req.raw
        return 201, asset, {}

    def _get_asset(self, req, aid: str) -> tuple:
        found = [a for r in self.releases for a in r["assets"] if a["id"] == int(aid)]
        if not found:
            return _error(404, "Not Found")
        if "application/octet-stream" in (req.headers.get("Accept") or ""):
            return 302, None, {"Location": found[0]["browser_download_url"]}
        return 200, found[0], {}

    def _segment(self, release: dict) -> str:
        """The download path's tag part: `untagged-...` while a draft, as on GitHub."""
        return f"untagged-{release['id']}" if release["draft"] else release["tag_name"]

    def _download(self, req, tag: str, name: str) -> tuple:
        found = (r for r in self.releases if self._segment(r) == tag)
        release = next(found, {"assets": []})
        asset = next((a for a in release["assets"] if a["name"] == name), None)
        if asset is None:
            return _error(404, "Not Found")
        asset["download_count"] += 1
        return 200, self.assets[asset["id"]], {}

    def _git(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        cmd = ["git", "-C", str(self.bare_repo), *args]
        return subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env)

    def _sync_refs(self) -> dict[str, str]:
        if self.bare_repo is not None:
            fmt = "%(refname) %(objectname) %(*objectname)"
            lines = self._git("for-each-ref", f"--format={fmt}").stdout.split("\n")
            self.refs = {}
            for ref, sha, *peeled in (line.split(" ") for line in lines if line):
                self.refs[ref] = sha
                if peeled and peeled[0]:
                    self._peeled[sha] = peeled[0]
        return self.refs

    def _resolve(self, commitish: str) -> str | None:
        if self.bare_repo is not None:
            result = self._git("rev-parse", "--verify", "--quiet", f"{commitish}^{{commit}}")
            return result.stdout.strip() or None
        for ref in (f"refs/heads/{commitish}", f"refs/tags/{commitish}"):
            if ref in self.refs:
                return self._peeled.get(self.refs[ref], self.refs[ref])
        return (
            commitish if SHA.fullmatch(commitish) else hashlib.sha1(commitish.encode()).hexdigest()
        )

    def _write_ref(self, ref: str, sha: str) -> bool:
        if self.bare_repo is not None and (
            self._git("cat-file", "-e", sha).returncode
            or self._git("update-ref", ref, sha, "").returncode
        ):
            return False
        self.refs[ref] = sha
        return True

    def _create_tag(self, req) -> tuple:
        data = req.data if isinstance(req.data, dict) else {}
        for field in ("tag", "message", "object", "type"):
            if not isinstance(data.get(field), str):
                return _invalid("Tag", field)
        kind, obj = data["type"], data["object"]
        if kind not in ("commit", "tree", "blob", "tag") or not SHA.fullmatch(obj):
            return _error(422, "Object does not exist", "/git/tags#create-a-tag-object")
        tagger = data.get("tagger") if isinstance(data.get("tagger"), dict) else {}
        name = tagger.get("name") or self.bot_login
        email = tagger.get("email") or f"{BOT_ID}+{self.bot_login}@users.noreply.github.com"
        date = tagger.get("date") or self._now()
        stamp = int(datetime.fromisoformat(date).timestamp())
        message = data["message"] if data["message"].endswith("\n") else data["message"] + "\n"
        text = (
            f"object {obj}\ntype {kind}\ntag {data['tag']}\n"
            f"tagger {name} <{email}> {stamp} +0000\n\n{message}"
        )
        if self.bare_repo is None:
            sha = hashlib.sha1(f"tag {len(text.encode())}\0{text}".encode()).hexdigest()
        elif (result := self._git("mktag", stdin=text)).returncode:
            return _error(422, "Object does not exist", "/git/tags#create-a-tag-object")
        else:
            sha = result.stdout.strip()
        api = f"{self.url}/repos/{self.repo}/git"
        self.tags[sha] = {
            "sha": sha,
            "node_id": f"TAG_{sha}",
            "url": f"{api}/tags/{sha}",
            "tag": data["tag"],
            "message": data["message"],
            "tagger": {"name": name, "email": email, "date": date},
            "object": {"sha": obj, "type": kind, "url": f"{api}/{kind}s/{obj}"},
            "verification": {"verified": False, "reason": "unsigned", "signature": None},
        }
        if kind == "commit":
            self._peeled[sha] = obj
        return 201, self.tags[sha], {"Location": self.tags[sha]["url"]}

    def _get_tag(self, req, sha: str) -> tuple:
        if sha not in self.tags and self.bare_repo is not None:
            self._pushed_tag(sha)
        return (200, self.tags[sha], {}) if sha in self.tags else _error(404, "Not Found")

    def _pushed_tag(self, sha: str) -> None:
        """A tag object pushed with git (not made through the API), read from the repository."""
        found = self._git("cat-file", "tag", sha)
        if found.returncode:
            return
        head, _, message = found.stdout.partition("\n\n")
        fields = dict(line.split(" ", 1) for line in head.splitlines())
        who, _, when = fields["tagger"].rpartition("> ")
        name, _, email = who.partition(" <")
        date = datetime.fromtimestamp(int(when.split()[0]), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        api, kind, obj = f"{self.url}/repos/{self.repo}/git", fields["type"], fields["object"]
        self.tags[sha] = {
            "sha": sha,
            "node_id": f"TAG_{sha}",
            "url": f"{api}/tags/{sha}",
            "tag": fields["tag"],
            "message": message,
            "tagger": {"name": name, "email": email, "date": date},
            "object": {"sha": obj, "type": kind, "url": f"{api}/{kind}s/{obj}"},
            "verification": {"verified": False, "reason": "unsigned", "signature": None},
        }

    def _ref_json(self, ref: str) -> dict:
        sha, api = self.refs[ref], f"{self.url}/repos/{self.repo}/git"
        kind = "tag" if sha in self._peeled else "commit"
        return {
            "ref": ref,
            "node_id": f"REF_{zlib.crc32(ref.encode())}",
            "url": f"{api}/{quote(ref)}",
            "object": {"sha": sha, "type": kind, "url": f"{api}/{kind}s/{sha}"},
        }

    def _create_ref(self, req) -> tuple:
        data, doc = req.data if isinstance(req.data, dict) else {}, "/git/refs#create-a-reference"
        ref, sha = data.get("ref"), data.get("sha")
        if not isinstance(ref, str) or not ref.startswith("refs/") or ref.count("/") < 2:
            return _error(422, BAD_REF, doc)
        if ref in self._sync_refs():
            return _error(422, "Reference already exists", doc)
        if not isinstance(sha, str) or not SHA.fullmatch(sha) or not self._write_ref(ref, sha):
            return _error(422, "Object does not exist", doc)
        out = self._ref_json(ref)
        return 201, out, {"Location": out["url"]}

    def _get_ref(self, req, ref: str) -> tuple:
        ref = f"refs/{ref}"
        return (
            (200, self._ref_json(ref), {}) if ref in self._sync_refs() else _error(404, "Not Found")
        )

    def _get_commit(self, req, ref: str) -> tuple:
        sha = self._resolve(ref)
        if sha is None:
            return _error(422, f"No commit found for SHA: {ref}", "/commits/commits#get-a-commit")
        url = f"{self.url}/repos/{self.repo}/commits/{sha}"
        return 200, {"sha": sha, "url": url, "commit": {"tree": {}}, "parents": []}, {}

    def _matching_refs(self, req, prefix: str) -> tuple:
        refs = sorted(r for r in self._sync_refs() if r.startswith(f"refs/{prefix}"))
        return 200, [self._ref_json(ref) for ref in refs], {}

    def _list_tags(self, req) -> tuple:
        refs, api = self._sync_refs(), f"{self.url}/repos/{self.repo}"
        names = sorted(
            (r[len("refs/tags/") :] for r in refs if r.startswith("refs/tags/")), reverse=True
        )
        items = []
        for name in names:
            sha = self._peeled.get(refs[f"refs/tags/{name}"], refs[f"refs/tags/{name}"])
            items.append({"name": name, "commit": {"sha": sha, "url": f"{api}/commits/{sha}"}})
        return self._page(req, items)

    def _upstream_release(self, req, repo: str) -> tuple:
        tag = self.upstream_latest.get(repo)
        if tag is None:
            return _error(404, "Not Found", "/releases/releases#get-the-latest-release")
        api = f"{self.url}/repos/{repo}"
        release = {"id": zlib.crc32(f"{repo}@{tag}".encode()), "url": f"{api}/releases/latest"}
        release.update(tag_name=tag, name=tag, draft=False, prerelease=False)
        return 200, release, {}

    def _upstream_commit(self, req, repo: str, ref: str) -> tuple:
        tags = self.upstream_tags.get(repo)
        if tags is None:
            return _error(404, "Not Found", "/commits/commits#get-a-commit")
        sha = tags.get(ref) or (ref if ref in tags.values() else None)
        if sha is None:
            return _error(422, f"No commit found for SHA: {ref}", "/commits/commits#get-a-commit")
        url = f"{self.url}/repos/{repo}/commits/{sha}"
        return 200, {"sha": sha, "url": url, "commit": {"tree": {}}, "parents": []}, {}

    def _pull_json(self, pr: dict) -> dict:
        out = dict(pr)
        out.update(
            url=f"{self.url}/repos/{self.repo}/pulls/{pr['number']}",
            html_url=f"https://github.com/{self.repo}/pull/{pr['number']}",
        )
        return out

    def _list_pulls(self, req) -> tuple:
        state = req.query.get("state", "open")
        pulls = [p for p in self.pulls.values() if state == "all" or p["state"] == state]
        if "head" in req.query:  # `owner:branch`
            owner, _, branch = req.query["head"].partition(":")
            pulls = [p for p in pulls if p["head"]["label"] == f"{owner}:{branch}"]
        pulls.sort(key=lambda p: p["number"], reverse=True)
        return self._page(req, [self._pull_json(p) for p in pulls])

    def _create_pull(self, req) -> tuple:
        data = req.data if isinstance(req.data, dict) else {}
        for field in ("title", "head", "base"):
            if not isinstance(data.get(field), str) or not data[field]:
                return _invalid("PullRequest", field)
        owner = self.repo.split("/")[0]
        branch = data["head"].removeprefix(f"{owner}:")
        if ":" in branch:  # another owner's fork: not modelled
            return _invalid("PullRequest", "head", "invalid")
        refs = self._sync_refs() if self.bare_repo is not None else None
        if refs is not None and f"refs/heads/{branch}" not in refs:
            return _invalid("PullRequest", "head", "invalid")
        if refs is not None and f"refs/heads/{data['base']}" not in refs:
            return _invalid("PullRequest", "base", "invalid")
        label = f"{owner}:{branch}"
        if any(p["head"]["label"] == label and p["state"] == "open" for p in self.pulls.values()):
            message = f"A pull request already exists for {label}."
            return _error(422, "Validation Failed", errors=[{"message": message}])
        number, now = next(self._numbers), self._now()
        head_sha = refs[f"refs/heads/{branch}"] if refs is not None else self._resolve(branch)
        repo_json = {"full_name": self.repo}
        pr = {
            "number": number,
            "state": "open",
            "title": data["title"],
            "body": data.get("body"),
            "draft": bool(data.get("draft")),
            "head": {"ref": branch, "label": label, "sha": head_sha, "repo": repo_json},
            "base": {"ref": data["base"], "label": f"{owner}:{data['base']}", "repo": repo_json},
            "user": self._user(self.bot_login),
            "created_at": now,
            "updated_at": now,
        }
        self.pulls[number] = pr
        out = self._pull_json(pr)
        return 201, out, {"Location": out["url"]}

    def _pull(self, req, number: str) -> tuple:
        pr = self.pulls.get(int(number))
        if pr is None:
            return _error(404, "Not Found")
        if req.method == "PATCH":
            data = req.data if isinstance(req.data, dict) else {}
            for field in ("title", "body", "state"):
                if field in data:
                    pr[field] = data[field]
            pr["updated_at"] = self._now()
        return 200, self._pull_json(pr), {}

    def add_issue(self, title: str, body: str, login: str, state: str = "open") -> dict:
        """An issue opened by ``login`` (a person's, or one of an earlier run)."""
        with self._lock:
            number, now = next(self._numbers), self._now()
            issue = {"number": number, "title": title, "body": body, "state": state}
            issue.update(user=self._user(login), created_at=now, updated_at=now)
            issue.update(state_reason=None, closed_at=now if state == "closed" else None)
            self.issues[number] = issue
            return issue

    def _issue_json(self, issue: dict) -> dict:
        api, n = f"{self.url}/repos/{self.repo}", issue["number"]
        out = dict(issue, id=1000 + n, node_id=f"I_{n}", labels=[], comments=0)
        out["comments"] = len(self.comments_on(n))
        out.update(url=f"{api}/issues/{n}", html_url=f"https://github.com/{self.repo}/issues/{n}")
        return out

    def _list_issues(self, req) -> tuple:
        """Issues newest first; pull requests are listed too, as GitHub does."""
        state = req.query.get("state", "open")
        items = [self._issue_json(i) for i in self.issues.values()]
        items += [dict(self._pull_json(p), pull_request={}) for p in self.pulls.values()]
        items = [i for i in items if state == "all" or i["state"] == state]
        return self._page(req, sorted(items, key=lambda i: -i["number"]))

    def _create_issue(self, req) -> tuple:
        data = req.data if isinstance(req.data, dict) else {}
        if not isinstance(data.get("title"), str) or not data["title"]:
            return _invalid("Issue", "title")
        issue = self.add_issue(data["title"], data.get("body") or "", self.bot_login)
        out = self._issue_json(issue)
        return 201, out, {"Location": out["url"]}

    def _issue(self, req, number: str) -> tuple:
        issue = self.issues.get(int(number))
        if issue is None:
            return _error(404, "Not Found")
        if req.method == "PATCH":
            data = req.data if isinstance(req.data, dict) else {}
            if data.get("state", issue["state"]) not in ("open", "closed"):
                return _invalid("Issue", "state", "invalid")
            for field in ("title", "body", "state", "state_reason"):
                if field in data:
                    issue[field] = data[field]
            issue["updated_at"] = self._now()
            issue["closed_at"] = issue["updated_at"] if issue["state"] == "closed" else None
        return 200, self._issue_json(issue), {}

    def add_approval(
        self,
        run_id: int,
        login: str,
        comment: str = "",
        *,
        state: str = "approved",
        environment: str = "model-release",
    ) -> dict:
        """``login``'s review of ``environment`` in run ``run_id``, shaped as GitHub lists it
        (`GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals`)."""
        with self._lock:
            now, eid = self._now(), zlib.crc32(environment.encode())
            env = {"id": eid, "node_id": f"EN_{eid}", "name": environment}
            env.update(
                url=f"{self.url}/repos/{self.repo}/environments/{quote(environment)}",
                html_url=f"https://github.com/{self.repo}/deployments/activity_log"
                f"?environments_filter={quote(environment)}",
                created_at=now,
                updated_at=now,
            )
            review = {"environments": [env], "state": state, "comment": comment}
            review["user"] = self._user(login)
            self.approvals.setdefault(int(run_id), []).append(review)
            return review

    def _run_approvals(self, req, run_id: str) -> tuple:
        return 200, self.approvals.get(int(run_id), []), {}

    def _dispatch_workflow(self, req, workflow: str) -> tuple:
        data = req.data if isinstance(req.data, dict) else {}
        if not isinstance(data.get("ref"), str) or not data["ref"]:
            return _invalid("WorkflowDispatch", "ref")
        self.dispatches.append({"workflow": workflow, "ref": data["ref"]})
        return 204, None, {}
