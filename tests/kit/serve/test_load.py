"""The service under hostile clients (slow tier): idle and slow-header connections held open
while normal clients are answered, an over-limit body refused without the memory it asks for,
and /health answering while the largest allowed request is scored."""

from __future__ import annotations

import http.client
import json
import select
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from .test_service import records

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import use  # noqa: E402

pytestmark = pytest.mark.slow
HEAD = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"


def address(service) -> tuple[str, int]:
    host, port = service.url.removeprefix("http://").split(":")
    return host, int(port)


class Hostile:
    """``idle`` connections that send nothing and ``slow`` ones that send a request head a
    byte a second, each opened again as soon as the service closes it."""

    def __init__(self, where: tuple[str, int], idle: int, slow: int):
        self.where, self.stopped, self.reopened = where, threading.Event(), 0
        self.idle = [self.connect() for _ in range(idle)]
        self.slow = [self.connect(b"GET /health HTTP/1.1\r\n") for _ in range(slow)]
        self.thread = threading.Thread(target=self.hold, daemon=True)
        self.thread.start()

    def connect(self, first: bytes = b"") -> socket.socket:
        sock = socket.create_connection(self.where, timeout=10)
        if first:
            sock.sendall(first)
        return sock

    def closed(self, sock: socket.socket) -> bool:
        if not select.select([sock], [], [], 0)[0]:
            return False
        try:
            return sock.recv(1) == b""
        except OSError:
            return True

    def hold(self) -> None:
        while not self.stopped.wait(1.0):
            for group, first in ((self.idle, b""), (self.slow, b"GET /health HTTP/1.1\r\n")):
                for number, sock in enumerate(group):
                    try:
                        if group is self.slow:
                            sock.sendall(b"X")  # a header name, never finished
                        gone = self.closed(sock)
                    except OSError:
                        gone = True
                    if gone:
                        sock.close()
                        group[number] = self.connect(first)
                        self.reopened += 1

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        for sock in self.idle + self.slow:
            sock.close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_held_connections_starve_no_one_and_limits_hold(service, rows):
    where = address(service)
    body = json.dumps({"dataframe_records": records(rows.head(1))}).encode()
    hostile = Hostile(where, idle=40, slow=40)
    statuses: list[int] = []
    latencies: list[float] = []
    lock = threading.Lock()
    until = time.monotonic() + 30

    def client() -> None:
        connection = http.client.HTTPConnection(*where, timeout=30)
        while time.monotonic() < until:
            began = time.perf_counter()
            connection.request("POST", "/invocations", body, {"Content-Type": "application/json"})
            answer = connection.getresponse()
            answer.read()
            with lock:
                statuses.append(answer.status)
                latencies.append(time.perf_counter() - began)
        connection.close()

    try:
        clients = [threading.Thread(target=client) for _ in range(16)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
    finally:
        hostile.close()
    assert statuses
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    assert hostile.reopened >= 80  # the service closed them (header timeout), they came back

    # A body over the limit (20 MB): refused as it streams, without holding what was sent.
    before = rss_mb(service.process.pid)
    answer = bytearray()
    with socket.create_connection(where, timeout=30) as sock:

        def read() -> None:  # at once, before the close of a half-read body resets it
            try:
                while chunk := sock.recv(65536):
                    answer.extend(chunk)
            except OSError:
                pass

        reader = threading.Thread(target=read)
        reader.start()
        sock.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b" " * 2**16
        try:
            for _ in range(1600):  # 100 MB
                if answer:
                    break
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass
        reader.join(timeout=30)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert rss_mb(service.process.pid) - before < 3 * 20


def test_health_answers_while_the_largest_request_is_scored(service, rows):
    # the bench's own probe (bench/use.py), here held to the goal: GET /health every 20 ms
    # while a request of serve.max_rows rows is scored
    found = use.health_while_scoring(address(service), records(rows)[0], 100_000)["health"]
    assert found["status"] == 200
    assert found["probes"] >= 5
    assert found["p50"] < 0.05, found
