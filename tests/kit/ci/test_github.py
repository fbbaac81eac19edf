import socket
import time

import pytest
from mlops_kit.github import client as github
from mlops_kit.github import comment, urls
from mlops_kit.github.client import GitHub, GitHubError, repo_from_git
from mlops_kit.reporting import report

from kit.ci.conftest import TOKEN


def test_pagination_follows_link_headers(fake_github):
    for number in range(5):
        fake_github.add_comment(7, f"comment {number}", "someone")
    client = GitHub()
    comments = client.paginate(f"/repos/{client.repo}/issues/7/comments?per_page=100")
    assert [c["body"] for c in comments] == [f"comment {n}" for n in range(5)]
    assert len([m for m, p in fake_github.log if m == "GET"]) == 3


def test_server_errors_are_retried(fake_github):
    fake_github.failures = [500, 502]
    assert GitHub().get("/repos/owner/repo/releases") == []
    assert len(fake_github.log) == 3


def test_errors_carry_the_status(fake_github):
    fake_github.failures = [500, 500, 500, 500]
    with pytest.raises(GitHubError) as error:
        GitHub().get("/repos/owner/repo/releases")
    assert error.value.status == 500
    assert len(fake_github.log) == 4  # four attempts, then give up
    fake_github.failures = [403]
    with pytest.raises(GitHubError) as error:
        GitHub().get("/repos/owner/repo/releases")
    assert error.value.status == 403
    assert "HTTP 403 injected failure" in str(error.value)


@pytest.fixture
def sleeps(monkeypatch):
    """The waits the client asks for, recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr(github.time, "sleep", waits.append)
    return waits


@pytest.mark.parametrize(
    ("failure", "wait"),
    [
        ((429, {"Retry-After": "7"}, "slow down"), 7),
        ((403, {"Retry-After": "3"}, "You have exceeded a secondary rate limit."), 3),
        ((403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "RESET"}, "limit"), 41),
    ],
    ids=["429-retry-after", "secondary-limit", "primary-limit-reset"],
)
def test_rate_limits_are_retried_after_the_wait_github_asks(fake_github, sleeps, failure, wait):
    status, headers, message = failure
    if headers.get("x-ratelimit-reset") == "RESET":
        headers = {**headers, "x-ratelimit-reset": str(int(time.time()) + 40)}
    fake_github.failures = [(status, headers, message)]
    assert GitHub().get("/repos/owner/repo/releases") == []
    assert len(fake_github.log) == 2
    (slept,) = sleeps
    assert wait - 1.5 <= slept <= wait


def test_a_plain_403_is_not_retried(fake_github, sleeps):
    fake_github.failures = [(403, {"x-ratelimit-remaining": "4999"}, "Must have admin rights")]
    with pytest.raises(GitHubError) as error:
        GitHub().get("/repos/owner/repo/releases")
    assert error.value.status == 403
    assert sleeps == []


def test_a_wait_beyond_the_cap_fails_at_once_with_what_to_do(fake_github, sleeps, monkeypatch):
    monkeypatch.setenv("GITHUB_API_MAX_WAIT", "60")
    fake_github.failures = [(429, {"Retry-After": "3600"}, "slow down")]
    with pytest.raises(GitHubError) as error:
        GitHub().get("/repos/owner/repo/releases")
    assert "GitHub asks to wait 3600 s more; GITHUB_API_MAX_WAIT is 60 s" in str(error.value)
    assert sleeps == []
    assert len(fake_github.log) == 1


def test_total_wait_is_bounded(fake_github, sleeps, monkeypatch):
    monkeypatch.setenv("GITHUB_API_MAX_WAIT", "25")
    fake_github.failures = [(429, {"Retry-After": "10"}, "slow down")] * 10
    with pytest.raises(GitHubError) as error:
        GitHub().get("/repos/owner/repo/releases")
    assert error.value.status == 429
    assert sleeps == [10, 10]  # a third wait would pass the cap
    assert len(fake_github.log) == 3


def test_a_post_that_may_have_been_applied_is_not_sent_again(fake_github):
    fake_github.lose["release"] = 1
    with pytest.raises(GitHubError) as error:
        GitHub().post("/repos/owner/repo/releases", {"tag_name": "model@v0.1.0"})
    assert error.value.status == 502
    assert error.value.unknown
    assert len(fake_github.releases) == 1  # applied once, not twice
    assert len(fake_github.log) == 1


def test_delete_of_something_already_gone_is_done(fake_github):
    client = GitHub()
    release = client.post("/repos/owner/repo/releases", {"tag_name": "model@v0.1.0"})
    asset = client.upload_asset(release, "a.bin", b"abc")
    client.delete(f"/repos/owner/repo/releases/assets/{asset['id']}")
    client.delete(f"/repos/owner/repo/releases/assets/{asset['id']}")  # 404: already deleted
    assert fake_github.release(release["id"])["assets"] == []


def test_the_token_echoed_in_an_error_is_masked(fake_github):
    fake_github.failures = [(403, {}, f"the token {TOKEN} may not do this")]
    with pytest.raises(GitHubError) as error:
        GitHub().get("/repos/owner/repo/releases")
    assert str(error.value).endswith("HTTP 403 the token *** may not do this")
    assert TOKEN not in str(error.value)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("GET https://me:ghp_x1@h.example/a: 500", "GET https://***@h.example/a: 500"),
        ("GET https://ghp_x1@h.example/a", "GET https://***@h.example/a"),
        (
            "GET https://h.example/a?access_token=ghp_x1&b=2",
            "GET https://h.example/a?access_token=***&b=2",
        ),
        (
            "s3.example/f?X-Amz-Signature=ab12&X-Amz-Credential=k",
            "s3.example/f?X-Amz-Signature=***&X-Amz-Credential=***",
        ),
        ("GET https://h.example/a?page=2", "GET https://h.example/a?page=2"),
    ],
)
def test_credentials_in_urls_are_masked(text, shown):
    assert urls.mask(text) == shown


def test_connection_errors_are_retried_then_reported(monkeypatch):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("GITHUB_API_RETRY_DELAY", "0")
    client = GitHub(token="t", repo="o/r", api=f"http://127.0.0.1:{port}")
    with pytest.raises(GitHubError) as error:
        client.get("/repos/o/r")
    assert error.value.status is None


def test_assets_upload_and_download_without_leaking_the_token(fake_github):
    client = GitHub()
    release = client.post("/repos/owner/repo/releases", {"tag_name": "model@v0.1.0"})
    asset = client.upload_asset(release, "model file.bin", b"\x00bytes")
    assert asset["name"] == "model file.bin"
    assert client.download_asset(asset["id"]) == b"\x00bytes"
    assert "Authorization" not in fake_github.download_headers[0]  # not sent to the storage host


@pytest.mark.parametrize(
    "url",
    [
        "git@github.com:owner/repo.git",
        "https://github.com/owner/repo.git",
        "https://github.com/owner/repo",
        "ssh://git@github.com/owner/repo.git",
    ],
)
def test_repo_from_origin(git, url):
    git("remote", "add", "origin", url)
    assert repo_from_git() == "owner/repo"


BODY = f"{report.MARKER}\n## Pipeline report: ✅ pass\n"


def test_comment_on_page_two_is_edited(fake_github, workdir, monkeypatch):
    for number in range(3):
        fake_github.add_comment(5, f"chatter {number}", "someone")
    fake_github.add_comment(5, "<!-- mlops-template:pipeline-report --> old", "someone-else")
    ours = fake_github.add_comment(5, f"{report.MARKER}\nold report", "github-actions[bot]")
    monkeypatch.setenv("PR_NUMBER", "5")
    (workdir / "report.md").write_text(BODY, encoding="utf-8")
    assert comment.main(["--report", "report.md"]) == 0
    assert fake_github.writes == [("PATCH", f"/repos/owner/repo/issues/comments/{ours['id']}")]
    assert ours["body"] == BODY
    assert sum(1 for m, p in fake_github.log if m == "GET") == 3  # 5 comments, 2 per page


def test_comments_of_other_accounts_are_left_alone(fake_github, workdir, monkeypatch):
    theirs = fake_github.add_comment(5, f"{report.MARKER}\ntheir report", "a-person")
    monkeypatch.setenv("PR_NUMBER", "5")
    (workdir / "report.md").write_text(BODY, encoding="utf-8")
    assert comment.main(["--report", "report.md"]) == 0
    assert fake_github.writes == [("POST", "/repos/owner/repo/issues/5/comments")]
    assert theirs["body"].endswith("their report")
    monkeypatch.setenv("COMMENT_AUTHOR", "a-person")
    assert comment.main(["--report", "report.md"]) == 0
    assert fake_github.writes[-1] == ("PATCH", f"/repos/owner/repo/issues/comments/{theirs['id']}")


@pytest.mark.parametrize("mode", ["read-only", "server-down", "no-pr", "no-token"])
def test_comment_never_fails_the_job(fake_github, workdir, monkeypatch, capsys, mode):
    summary = workdir / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("PR_NUMBER", "5")
    if mode == "read-only":
        fake_github.read_only = True
    elif mode == "server-down":
        fake_github.failures = [503] * 10
    elif mode == "no-pr":
        monkeypatch.delenv("PR_NUMBER")
    else:
        monkeypatch.delenv("GITHUB_TOKEN")
    (workdir / "report.md").write_text(BODY, encoding="utf-8")
    assert comment.main(["--report", "report.md"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("::warning::")
    assert "job summary" in out
    assert summary.read_text(encoding="utf-8").startswith(BODY)
    assert fake_github.comments.get(5, []) == []


def test_comment_writes_the_summary_when_it_posts(fake_github, workdir, monkeypatch):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(workdir / "summary.md"))
    monkeypatch.setenv("PR_NUMBER", "9")
    (workdir / "report.md").write_text(BODY, encoding="utf-8")
    assert comment.main(["--report", "report.md"]) == 0
    assert fake_github.comments[9][0]["body"] == BODY
    assert (workdir / "summary.md").read_text(encoding="utf-8").startswith(BODY)
