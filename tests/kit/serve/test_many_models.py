"""The service of a many-models project (--models reports/models.json), started for real: each
model at /models/<name>/, loaded on its first request, the least recently used evicted beyond
the bound, one load per model however many ask at once, /health answering meanwhile."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import joblib
import pytest
from mlops_kit import common

from kit.project import environment

from .conftest import MANY, ODD_NAMES, TARGET, Service, md5, tiny_frame
from .test_service import get, post, records

SLOW_LOAD = '''
import os
import time


class SlowLoad:
    """The model, its unpickling noted in ``counter`` and held until ``release`` exists."""

    def __init__(self, model, counter, release):
        self.model, self.counter, self.release = model, counter, release
        self.feature_names_in_ = model.feature_names_in_

    def __setstate__(self, state):
        self.__dict__.update(state)
        with open(self.counter, "a") as out:
            out.write("load\\n")
        for _ in range(1200):
            if os.path.exists(self.release):
                break
            time.sleep(0.05)

    def predict(self, frame):
        return self.model.predict(frame)
'''


def names_of(project: Path) -> dict:
    return common.read_json(project / "reports" / "models.json")["models"]


def at(name: str, what: str = "invocations") -> str:
    return f"/models/{urllib.parse.quote(name, safe='')}/{what}"


def rows_of(number: int):
    """Rows of the model trained with seed ``number + 1`` (conftest's many_project)."""
    return tiny_frame(80, seed=number + 1).drop(columns=[TARGET]).head(12)


def expected(project: Path, name: str, rows) -> list:
    model = joblib.load(project / names_of(project)[name]["path"] / "model.joblib")
    return model.predict(rows).tolist()


def test_each_model_answers_its_own_predictions(many_service, many_project):
    names = list(names_of(many_project))
    assert len(names) == MANY
    for number, name in enumerate(names):
        rows = rows_of(number)
        status, answer = post(many_service.url, {"dataframe_records": records(rows)}, at(name))
        assert (status, answer) == (200, {"predictions": expected(many_project, name, rows)})
    split = {"dataframe_split": json.loads(rows_of(0).to_json(orient="split", index=False))}
    status, answer = post(many_service.url, split, at(names[0]))
    assert answer == {"predictions": expected(many_project, names[0], rows_of(0))}


def test_the_log_names_each_model_and_its_version(many_service, many_project):
    sent = records(rows_of(1).head(2))
    headers_id = post(many_service.url, {"dataframe_records": sent}, at("with space"))
    assert headers_id[0] == 200
    lines = [json.loads(line) for line in many_service.log.read_text().splitlines()]
    mine = [line for line in lines if line["model"] == "with space"][-1]
    assert mine["model_version"] == f"md5:{names_of(many_project)['with space']['md5']}"
    assert (mine["inputs"], mine["outputs"]) == (sent, headers_id[1]["predictions"])


def test_the_schema_names_the_routes(many_service):
    paths = get(many_service.url, "/openapi.json")["paths"]
    assert {"/models/{name}/invocations", "/models/{name}/metadata", "/models"} <= set(paths)


def test_a_name_may_hold_a_slash_unencoded(many_service, many_project):
    number = list(names_of(many_project)).index("x/invocations")
    rows = rows_of(number)
    path = "/models/x/invocations/invocations"
    status, answer = post(many_service.url, {"dataframe_records": records(rows)}, path)
    assert answer == {"predictions": expected(many_project, "x/invocations", rows)}


def test_the_models_are_listed_a_page_at_a_time(many_service, many_project):
    seen, after = [], None
    while True:
        query = "?limit=7" + (f"&after={urllib.parse.quote(after, safe='')}" if after else "")
        page = get(many_service.url, "/models" + query)
        assert len(page["models"]) <= 7
        seen += page["models"]
        after = page["next"]
        if after is None:
            break
    assert seen == sorted(names_of(many_project))
    assert (page["count"], page["skipped"]) == (MANY, 1)
    for bad in ("0", "x", "9" * 5000):
        status, answer = get_status(many_service.url, f"/models?limit={bad}")
        assert (status, answer["message"][:28]) == (422, "limit must be a whole number")


def get_status(url: str, path: str) -> tuple[int, dict]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url + path, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_an_unknown_or_skipped_model_is_404_in_one_line(many_service, rows):
    body = {"dataframe_records": records(rows.head(2))}
    for name in ("store-9999", "STORE-0001", "a", "a/b/", "\n"):
        status, answer = post(many_service.url, body, at(name))
        assert (status, answer["error_code"]) == (404, "NOT_FOUND")
        assert "\n" not in answer["message"]
        assert "GET /models" in answer["message"]
        assert get_status(many_service.url, at(name, "metadata"))[0] == 404
    status, answer = post(many_service.url, body, at("store-tiny"))
    assert status == 404
    assert answer["message"] == "model 'store-tiny' was not trained: 31 training rows"
    status, answer = post(many_service.url, body, "/invocations")
    assert (status, answer["error_code"]) == (404, "NOT_FOUND")


def test_a_bad_row_is_refused_as_by_the_single_service(many_service, many_project):
    sent = records(rows_of(0).head(3))
    sent[1]["colour"] = "purple"
    status, answer = post(many_service.url, {"dataframe_records": sent}, at("store-0000"))
    assert status == 422
    assert answer["errors"][0]["loc"] == ["dataframe_records", 1, "colour"]
    assert post(many_service.url, "not json", at("store-0000"))[0] == 422


def test_the_metadata_of_a_model_is_its_lineage(many_service, many_project):
    for name in ("store-0003", *ODD_NAMES):
        entry = names_of(many_project)[name]
        about = get(many_service.url, at(name, "metadata"))
        for key in ("path", "md5", "rows", "metrics", "overrides", "fingerprint", "shard"):
            assert about[key] == entry[key]
        assert (about["name"], about["model_version"]) == (name, f"md5:{entry['md5']}")
        assert [c["name"] for c in about["features"]] == ["size", "visits", "colour", "member"]
    assert get(many_service.url, at("store-0003", "metadata"))["overrides"] != {}
    project = get(many_service.url, "/metadata")
    assert (project["segment_by"], project["models"], project["skipped"]) == ("store", MANY, 1)
    assert project["report"]["md5"] == md5(many_project / "reports" / "models.json")


def test_models_beyond_the_bound_are_evicted_least_recently_used(many_project, start_many):
    sizes = {
        name: (many_project / entry["path"] / "model.joblib").stat().st_size
        for name, entry in names_of(many_project).items()
    }
    bound = 3.5 * max(sizes.values())
    running = start_many(many_project, "--max-models-mb", f"{bound / 2**20:.6f}")
    names = list(sizes)
    for number, name in enumerate(names):
        rows = rows_of(number)
        status, answer = post(running.url, {"dataframe_records": records(rows)}, at(name))
        assert answer == {"predictions": expected(many_project, name, rows)}
        state = get(running.url, "/health")["models"]
        assert state["loaded_bytes"] <= state["max_bytes"]
        assert 1 <= state["loaded"] <= bound // min(sizes.values())
    state = get(running.url, "/health")["models"]
    assert state["peak_bytes"] <= state["max_bytes"] < 4 * max(sizes.values())
    assert (state["loads"], state["evictions"]) == (MANY, MANY - state["loaded"])
    for name in (names[-1], names[-2], names[0], names[-2], names[-1]):  # the first is evicted
        post(running.url, {"dataframe_records": records(rows_of(names.index(name)))}, at(name))
    assert get(running.url, "/health")["models"]["loads"] == MANY + 1


def test_a_model_over_the_bound_alone_is_507(many_project, start_many, rows):
    running = start_many(many_project, "--max-models-mb", "0.001")
    status, answer = post(running.url, {"dataframe_records": records(rows)}, at("store-0001"))
    assert (status, answer["error_code"]) == (507, "MODEL_TOO_LARGE")
    assert "serve.max_models_mb" in answer["message"]
    assert get(running.url, "/health")["models"]["loaded"] == 0
    assert "over serve.max_models_mb alone" in running.stop()


def test_a_model_file_not_the_one_recorded_is_not_loaded(many_project, tmp_path, start_many):
    project = shutil.copytree(many_project, tmp_path / "project")
    entries = names_of(project)
    one, other = (project / entries[n]["path"] / "model.joblib" for n in ("a/b", "store-0001"))
    shutil.copyfile(other, one)  # a model that loads, not the one recorded
    running = start_many(project)
    status, answer = post(running.url, {"dataframe_records": records(rows_of(0))}, at("a/b"))
    assert (status, answer["error_code"]) == (503, "MODEL_UNAVAILABLE")
    assert "not loading it" in answer["message"]
    assert "\n" not in answer["message"]
    assert get(running.url, "/health")["models"]["loads"] == 0


@pytest.fixture
def start_many():
    started: list[Service] = []

    def start(project: Path, *args: str, env: dict[str, str] | None = None) -> Service:
        command = ("--models", "reports/models.json", "--port", "0", *args)
        started.append(Service(project, *command, env=env))
        return started[-1]

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def slow_project(many_project, tmp_path):
    """A copy of many_project whose model 'store-0002' announces its load in ``counter`` and
    finishes it only once ``release`` exists; the PYTHONPATH that finds its class."""
    project = shutil.copytree(many_project, tmp_path / "project")
    (tmp_path / "slow_load.py").write_text(SLOW_LOAD, encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        import slow_load

        report = common.read_json(project / "reports" / "models.json")
        file = project / report["models"]["store-0002"]["path"] / "model.joblib"
        counter, release = tmp_path / "loads.txt", tmp_path / "release"
        joblib.dump(slow_load.SlowLoad(joblib.load(file), str(counter), str(release)), file)
        report["models"]["store-0002"]["md5"] = md5(file)
        common.write_json(project / "reports" / "models.json", report)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("slow_load", None)
    path = os.pathsep.join([str(tmp_path), environment()["PYTHONPATH"]])
    return project, counter, release, {"PYTHONPATH": path}


def test_concurrent_first_requests_load_once_and_health_answers_meanwhile(
    slow_project, start_many, many_project
):
    project, counter, release, env = slow_project
    running = start_many(project, env=env)
    body = {"dataframe_records": records(rows_of(2))}
    assert post(running.url, {"dataframe_records": records(rows_of(0))}, at("store-0000"))[0] == 200
    loading = threading.Event()
    with ThreadPoolExecutor(8) as pool:
        waiting = [pool.submit(post, running.url, body, at("store-0002")) for _ in range(8)]
        while not (counter.is_file() and counter.read_text()):
            loading.wait(0.05)
        state = get(running.url, "/health")["models"]  # while the load is held
        assert (state["loading"], state["loaded"]) == (1, 1)
        other = post(running.url, {"dataframe_records": records(rows_of(0))}, at("store-0000"))
        assert other[0] == 200
        release.touch()
        answers = [future.result() for future in waiting]
    predictions = expected(many_project, "store-0002", rows_of(2))  # the same model, unwrapped
    assert answers == [(200, {"predictions": predictions})] * 8
    assert counter.read_text() == "load\n"
    assert get(running.url, "/health")["models"]["loads"] == 2


def test_a_load_beyond_the_timeout_is_504_and_goes_on(slow_project, start_many):
    project, counter, release, env = slow_project
    running = start_many(project, "--timeout-s", "1", env=env)
    body = {"dataframe_records": records(rows_of(2))}
    status, answer = post(running.url, body, at("store-0002"))  # its load held
    assert (status, answer["error_code"]) == (504, "TIMEOUT")
    assert "still loading" in answer["message"]
    release.touch()
    while get(running.url, "/health")["models"]["loading"]:
        threading.Event().wait(0.05)
    assert post(running.url, body, at("store-0002"))[0] == 200
    assert counter.read_text() == "load\n"


def test_requests_beyond_the_queue_are_503_while_a_load_is_held(slow_project, start_many):
    project, counter, release, env = slow_project
    running = start_many(project, "--max-concurrent", "1", "--max-queue", "1", env=env)
    body = {"dataframe_records": records(rows_of(2))}
    with ThreadPoolExecutor(2) as pool:
        waiting = [pool.submit(post, running.url, body, at("store-0002")) for _ in range(2)]
        while get(running.url, "/health")["requests"] < 2:
            threading.Event().wait(0.05)
        status, answer = post(running.url, body, at("store-0000"))
        assert (status, answer["error_code"]) == (503, "BUSY")
        release.touch()
        assert [future.result()[0] for future in waiting] == [200, 200]
    assert post(running.url, body, at("store-0000"))[0] == 200


def serve(project: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "mlops_kit.serving.serve", "--port", "0", *args]
    env = {**os.environ, **environment()}
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)


def test_a_broken_report_or_a_single_model_asked_for_stops_the_start_in_one_line(
    many_project, tmp_path
):
    project = shutil.copytree(many_project, tmp_path / "project")
    done = serve(project, "--model", "models/model.joblib")
    assert done.returncode == 2
    assert "serve them with --models reports/models.json" in done.stderr
    report = common.read_json(project / "reports" / "models.json")
    report["models"]["a/b"]["path"] = "../elsewhere"
    common.write_json(project / "reports" / "models.json", report)
    done = serve(project, "--models", "reports/models.json")
    assert (done.returncode, done.stderr.count("\n")) == (2, 1)
    assert "model 'a/b': 'path' must be a folder inside the project" in done.stderr
    done = serve(project, "--models", "reports/nothing.json")
    assert (done.returncode, done.stderr.count("\n")) == (2, 1)
