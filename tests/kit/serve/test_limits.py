"""The service's limits, each with its own status, against the real service: body size (by
Content-Length and as a chunked body streams), rows, scoring time (a deliberately slow model),
the scoring queue, content types, HEAD, /docs off, the log, and bad flags at start."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import joblib
import pytest
import yaml

from kit.project import environment

from .test_service import get, post, records

SLOW_MODEL = '''
import time


class Slow:
    """The model, each call to predict taking ``seconds`` longer (or raising)."""

    def __init__(self, model, seconds, broken=False):
        self.model, self.seconds, self.broken = model, seconds, broken
        self.feature_names_in_ = model.feature_names_in_

    def predict(self, frame):
        time.sleep(self.seconds)
        if self.broken:
            raise RuntimeError("an unexpected failure inside the model")
        return self.model.predict(frame)
'''


def exchange(url: str, raw: bytes, wait: float = 30) -> bytes:
    """``raw`` sent on a new connection; everything the service answers until it closes."""
    host, port = url.removeprefix("http://").split(":")
    answer = b""
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        try:
            for start in range(0, len(raw), 16384):
                if select.select([sock], [], [], 0)[0]:
                    break  # it answered before reading everything: read the answer now
                sock.sendall(raw[start : start + 16384])
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:  # closed with some of the body unread
            pass
    return answer


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


@pytest.fixture(scope="module")
def limited(small_project, tmp_path_factory):
    from .conftest import Service

    log = tmp_path_factory.mktemp("limited") / "predictions.jsonl"
    args = ["--model", "models/model.joblib", "--port", "0", "--log", str(log)]
    args += ["--max-body-mb", "1", "--max-rows", "50", "--log-max-mb", "0.01"]
    running = Service(small_project, *args, "--header-timeout-s", "1")
    running.log = log
    yield running
    running.stop()


@pytest.fixture(scope="module")
def slow_models(small_project, tmp_path_factory):
    """models/slow.joblib (3 s a call) and models/broken.joblib, and the PYTHONPATH that
    finds their class."""
    folder = tmp_path_factory.mktemp("slow")
    (folder / "slow_model.py").write_text(SLOW_MODEL, encoding="utf-8")
    sys.path.insert(0, str(folder))
    try:
        import slow_model

        model = joblib.load(small_project / "models" / "model.joblib")
        joblib.dump(slow_model.Slow(model, 3.0), small_project / "models" / "slow.joblib")
        broken = slow_model.Slow(model, 0.0, broken=True)
        joblib.dump(broken, small_project / "models" / "broken.joblib")
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("slow_model", None)
    return {"PYTHONPATH": os.pathsep.join([str(folder), environment()["PYTHONPATH"]])}


def test_a_body_over_the_limit_by_content_length_is_refused_unread(limited):
    head = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    answer = exchange(limited.url, head + b"Content-Length: 5000000\r\n\r\n")
    assert status_of(answer) == 413
    assert b"serve.max_body_mb" in answer


def test_a_chunked_body_over_the_limit_is_refused_as_it_streams(limited):
    head = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    chunk = b" " * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(24))  # 1.5 MB
    answer = exchange(limited.url, head + b"Transfer-Encoding: chunked\r\n\r\n" + body)
    assert status_of(answer) == 413


def test_too_many_rows_get_413(limited, rows):
    many = (records(rows) * 2)[:51]
    status, answer = post(limited.url, {"dataframe_records": many})
    assert status == 413
    assert answer["message"] == (
        "dataframe_records holds 51 rows, over 50 (serve.max_rows); send fewer"
    )
    assert post(limited.url, {"dataframe_records": many[:50]})[0] == 200


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("text/plain", 415),
        ("application/json; charset=utf-16", 415),
        ("", 415),
        ("application/json; charset=UTF-8", 200),
    ],
)
def test_only_json_in_utf8_is_taken(limited, rows, content_type, status):
    body = json.dumps({"dataframe_records": records(rows.head(1))}).encode()
    head = f"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
    head += f"Content-Type: {content_type}\r\n" if content_type else ""
    answer = exchange(limited.url, head.encode() + b"Connection: close\r\n\r\n" + body)
    assert status_of(answer) == status


def test_a_utf16_body_is_refused(limited, rows):
    body = json.dumps({"dataframe_records": records(rows.head(1))}).encode("utf-16")
    status, answer = post(limited.url, body)
    assert (status, answer["message"]) == (422, "the request body is not UTF-8")


def test_head_works_where_get_does_and_docs_are_off(limited):
    host, port = limited.url.removeprefix("http://").split(":")
    for path, expected in [("/health", 200), ("/metadata", 200), ("/docs", 404)]:
        answer = exchange(limited.url, f"HEAD {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                          "Connection: close\r\n\r\n".encode())  # fmt: skip
        assert status_of(answer) == expected, path
    assert get(limited.url, "/openapi.json")["components"]["schemas"]["Row"]


def test_a_connection_that_sends_no_request_head_is_closed(limited):
    host, port = limited.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\n")  # and never the rest
        began = time.monotonic()
        assert sock.recv(100) == b""  # closed by the service
    assert time.monotonic() - began < 5


def test_the_log_holds_only_validated_columns_and_rotates(limited, rows):
    sent = records(rows.head(3))
    for row in sent:
        row["secret"] = "an extra column the model does not take"
    for _ in range(30):  # a 10 KB log: rotated on the way
        assert post(limited.url, {"dataframe_records": sent})[0] == 200
    rotated = Path(f"{limited.log}.1")
    assert rotated.is_file()
    assert not Path(f"{limited.log}.2").exists()
    for path in (limited.log, rotated):
        assert path.stat().st_size <= 0.01 * 2**20
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            assert set(entry) == {"request_id", "time", "model_version", "inputs", "outputs"}
            assert entry["inputs"]
            assert all(set(row) == set(rows.columns) for row in entry["inputs"])


def test_scoring_past_the_timeout_gets_504_and_a_full_queue_503(start_service, slow_models, rows):
    slow = start_service(
        "--model", "models/slow.joblib", "--port", "0", "--timeout-s", "1",
        "--max-concurrent", "1", "--max-queue", "1", env=slow_models,
    )  # fmt: skip
    many = {"dataframe_records": (records(rows) * 4)[:150]}  # over 100 rows: in a thread
    answers = {}

    def ask(name):
        answers[name] = post(slow.url, many)

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    time.sleep(0.3)
    second = threading.Thread(target=ask, args=("second",))
    second.start()
    time.sleep(0.3)
    request = post_raw(slow.url, many)
    assert request[0] == 503
    assert request[1]["Retry-After"] == "1"
    first.join()
    second.join()
    assert answers["first"][0] == 504
    assert "serve.timeout_s" in answers["first"][1]["message"]
    assert answers["second"][0] == 504
    assert get(slow.url, "/health")["status"] == "ok"


def post_raw(url: str, body: dict) -> tuple[int, dict]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url + "/invocations", json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers


def test_an_unexpected_error_is_a_500_with_a_request_id_and_one_log_line(
    start_service, slow_models, rows
):
    broken = start_service("--model", "models/broken.joblib", "--port", "0", env=slow_models)
    status, answer = post(broken.url, {"dataframe_records": records(rows.head(1))})
    assert status == 500
    assert answer["request_id"] in answer["message"]
    said = broken.stop()
    lines = [line for line in said.splitlines() if answer["request_id"] in line]
    assert len(lines) == 1
    assert "Traceback" not in said


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--port", "70000"], "--port must be between 0 and 65535"),
        (["--workers", "0"], "--workers must be 1 or more"),
        (["--max-rows", "0"], "--max-rows: max_rows must be a whole number above 0"),
        (["--timeout-s", "-1"], "--timeout-s: timeout_s must be a number above 0"),
        (["--max-queue", "many"], "argument --max-queue: invalid int value"),
        (["--log", "/nonexistent/folder/log.jsonl"], "--log /nonexistent/folder/log.jsonl"),
    ],
)
def test_bad_flags_are_one_line_at_start(small_project, args, says):
    command = [sys.executable, "-m", "mlops_kit.serving.serve", "--model", "models/model.joblib"]
    done = subprocess.run(
        [*command, "--port", "0", *args],
        cwd=small_project,
        env={**os.environ, **environment()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"error: {says}")
    assert len(done.stderr.splitlines()) == 1


def test_params_yaml_serve_section_sets_the_limits(small_project, tmp_path, rows):
    from .conftest import Service

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "model.joblib").write_bytes(
        (small_project / "models" / "model.joblib").read_bytes()
    )
    (tmp_path / "expectations").mkdir()
    suite = small_project / "expectations" / "suite.json"
    (tmp_path / "expectations" / "suite.json").write_bytes(suite.read_bytes())
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"serve": {"max_rows": 2}}))
    running = Service(tmp_path, "--model", "models/model.joblib", "--port", "0")
    try:
        assert post(running.url, {"dataframe_records": records(rows.head(3))})[0] == 413
    finally:
        running.stop()
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"serve": {"max_rows": "lots"}}))
    done = subprocess.run(
        [sys.executable, "-m", "mlops_kit.serving.serve", "--model", "models/model.joblib"],
        cwd=tmp_path,
        env={**os.environ, **environment()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr.splitlines()) == (
        2,
        ["error: params.yaml serve: max_rows must be a whole number above 0, not lots"],
    )


def workers_of(pid: int) -> set[int]:
    """The worker processes of the service ``pid``: its children that run multiprocessing's
    spawned main (not its resource tracker)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid and b"spawn_main" in command:
            found.add(int(stat.parent.name))
    return found


def settle(pid: int, count: int, unlike: set[int] = frozenset()) -> set[int]:
    for _ in range(300):
        found = workers_of(pid)
        if len(found) == count and not found & unlike:
            return found
        time.sleep(0.1)
    raise AssertionError(f"workers of {pid}: {workers_of(pid)}, wanted {count} new")


def test_workers_serve_from_that_many_processes_with_the_limits_in_each(start_service, rows):
    running = start_service(
        "--model", "models/model.joblib", "--port", "0", "--workers", "2", "--max-rows", "5"
    )
    pid = running.process.pid
    first = settle(pid, 2)
    body = {"dataframe_records": records(rows.head(5))}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: post(running.url, body), range(40)))
    assert {status for status, _ in answers} == {200}
    assert len({json.dumps(answer) for _, answer in answers}) == 1
    too_many = {"dataframe_records": records(rows.head(6))}
    assert {post(running.url, too_many)[0] for _ in range(10)} == {413}
    os.kill(min(first), signal.SIGKILL)  # a worker that dies is replaced by the parent
    second = settle(pid, 2, {min(first)})
    assert max(first) in second
    assert post(running.url, body) == answers[0]
    running.stop()
    assert running.process.returncode == 0
    assert not any(Path(f"/proc/{worker}").exists() for worker in second)
