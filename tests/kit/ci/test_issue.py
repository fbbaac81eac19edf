"""One monitoring issue per model: opened, updated in place, closed, reopened; the history
in its body decides a retrain. GitHub is an in-memory stand-in with the client's methods."""

import json

import pytest
from mlops_kit.monitoring import issue

BOT = "github-actions[bot]"


class Issues:
    """The issue endpoints the module calls, in memory, with the GitHub client's methods."""

    repo = "owner/repo"

    def __init__(self):
        self.issues: dict[int, dict] = {}
        self.comments: list[tuple[int, str]] = []
        self.calls: list[tuple[str, str]] = []

    def add(self, body: str, login: str = BOT, state: str = "open", **extra) -> dict:
        number = len(self.issues) + 1
        self.issues[number] = {"number": number, "body": body, "state": state, **extra}
        self.issues[number]["user"] = {"login": login}
        return self.issues[number]

    def paginate(self, path):
        self.calls.append(("GET", path))
        assert "state=all" in path
        return list(self.issues.values())

    def post(self, path, body):
        self.calls.append(("POST", path))
        if path.endswith("/comments"):
            self.comments.append((int(path.split("/")[-2]), body["body"]))
            return {}
        if path.endswith("/dispatches"):
            return None
        return self.add(body["body"], title=body["title"])

    def patch(self, path, body):
        self.calls.append(("PATCH", path))
        self.issues[int(path.rsplit("/", 1)[1])].update(body)
        return self.issues[int(path.rsplit("/", 1)[1])]


def check(fake, status, retrain=None, report="## report\n"):
    return issue.sync(fake, "model", status, report, BOT, retrain)


def test_first_unhealthy_check_opens_one_issue_then_updates_it():
    fake = Issues()
    assert check(fake, "healthy")[0] == "nothing to do"
    action, opened, _ = check(fake, "unhealthy", report="## first\n")
    assert action == "opened"
    assert opened["body"].startswith(issue.MARKER.format("model"))
    assert "## first" in opened["body"]
    action, updated, _ = check(fake, "unhealthy", report="## second\n")
    assert (action, updated["number"]) == ("updated", opened["number"])
    assert len(fake.issues) == 1
    assert "## second" in updated["body"]
    assert "## first" not in updated["body"]
    assert [e["status"] for e in issue.history_of(updated["body"])] == ["unhealthy"] * 2


def test_healthy_check_closes_with_a_comment_and_the_next_alarm_reopens():
    fake = Issues()
    check(fake, "unhealthy")
    action, closed, _ = check(fake, "healthy")
    assert action == "closed"
    assert closed["state"] == "closed"
    ((number, note),) = fake.comments
    assert number == closed["number"]
    assert "healthy again" in note
    assert check(fake, "healthy")[0] == "nothing to do"
    action, reopened, _ = check(fake, "unhealthy")
    assert (action, reopened["state"], len(fake.issues)) == ("reopened", "open", 1)
    statuses = [e["status"] for e in issue.history_of(reopened["body"])]
    assert statuses == ["unhealthy", "healthy", "unhealthy"]


def test_a_batch_too_small_only_notes_itself_on_an_open_issue():
    fake = Issues()
    assert check(fake, "too small")[0] == "nothing to do"
    check(fake, "unhealthy")
    action, noted, _ = check(fake, "too small")
    assert (action, noted["state"]) == ("updated", "open")


def test_issues_of_others_and_pull_requests_are_left_alone():
    fake = Issues()
    marker = issue.MARKER.format("model")
    fake.add(f"{marker}\nquoted by a person", login="someone")
    fake.add(f"{marker}\na pull request", pull_request={"url": "x"})
    fake.add(issue.MARKER.format("other-model"))
    action, opened, _ = check(fake, "unhealthy")
    assert action == "opened"
    assert opened["number"] == 4


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["unhealthy"] * 2, [False, False]),
        (["unhealthy"] * 3, [False, False, True]),
        (["unhealthy"] * 6, [False, False, True, False, False, False]),
        (["unhealthy", "too small", "unhealthy", "unhealthy"], [False, False, False, True]),
    ],
)
def test_retrain_when_k_of_the_last_n_checks_were_unhealthy(statuses, expected):
    fake = Issues()
    asked = [check(fake, status, retrain=(3, 4))[2] for status in statuses]
    assert asked == expected


def test_history_survives_a_hostile_report_and_stays_bounded():
    fake = Issues()
    for _ in range(issue.KEEP + 5):
        check(fake, "unhealthy", report="-->\n<!-- monitor-history: [] -->\n")
    body = next(iter(fake.issues.values()))["body"]
    assert len(issue.history_of(body)) == issue.KEEP


def test_main_writes_the_outputs(tmp_path, monkeypatch, capsys):
    fake = Issues()
    monkeypatch.setattr(issue, "GitHub", lambda: fake)
    (tmp_path / "monitor.json").write_text(json.dumps({"status": "unhealthy"}), encoding="utf-8")
    (tmp_path / "monitor.md").write_text("## Model monitoring\n", encoding="utf-8")
    output = tmp_path / "output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("RETRAIN", "true")
    monkeypatch.setenv("RETRAIN_K", "1")
    assert issue.main(["sync", "--report", str(tmp_path)]) == 0
    assert output.read_text(encoding="utf-8").splitlines() == ["retrain=true", "issue=1"]
    assert "issue: unhealthy: opened (#1)" in capsys.readouterr().out
    assert issue.main(["sync", "--report", str(tmp_path / "missing")]) == 2
    assert issue.main(["retrain", "--ref", "main"]) == 0
    assert fake.calls[-1] == ("POST", "/repos/owner/repo/actions/workflows/pipeline.yml/dispatches")


def test_the_issue_names_the_release_each_check_was_of_inertly(tmp_path, monkeypatch):
    fake = Issues()
    monkeypatch.setattr(issue, "GitHub", lambda: fake)
    report = {"status": "unhealthy", "inputs": {"release": "model@v1.2.0", "stage": None}}
    (tmp_path / "monitor.json").write_text(json.dumps(report), encoding="utf-8")
    (tmp_path / "monitor.md").write_text("## Model monitoring\n", encoding="utf-8")
    assert issue.main(["sync", "--report", str(tmp_path)]) == 0
    (opened,) = fake.issues.values()
    assert "| --- | --- | --- | --- |" in opened["body"]
    assert "| unhealthy | `model@v1.2.0` | — |" in opened["body"]
    assert issue.history_of(opened["body"])[-1]["model"] == "model@v1.2.0"

    hostile = "v1 [x](https://e.example) @someone |"
    check_of = issue.sync(fake, "model", "unhealthy", "## r\n", BOT, None, hostile)
    lines = check_of[1]["body"].splitlines()
    row = next(line for line in lines if line.startswith("| ") and "@someone" in line)
    assert "| `v1 [x](https://e.example) @someone \\|` |" in row
    assert row.count(" | ") == 3  # four cells, the pipe inside the code span escaped

    issue.sync(fake, "model", "healthy", "## r\n", BOT, None, "model@v1.3.0")
    ((_, note),) = fake.comments
    assert note.startswith("The latest check of `model@v1.3.0` is healthy again; closing.")
    checks = issue.history_of(next(iter(fake.issues.values()))["body"])
    assert [entry.get("model") for entry in checks] == ["model@v1.2.0", hostile, "model@v1.3.0"]
    local = issue.render("model", "## r\n", [{"when": "now", "status": "healthy"}])
    assert "| now | healthy | — | — |" in local  # a check of this checkout's model
