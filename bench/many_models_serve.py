"""The many-models service (`serve --models`) on 1,000 models: memory, warm and cold latency.

    python bench/many_models_serve.py build DIR [--models 1000] [--n-estimators 20]
    python bench/many_models_serve.py measure DIR [--bound-mb 64] [--passes 3] [--out FILE]

Runs with the template's .venv. ``build`` writes a many-models project of the contract's
layout into DIR: one segment of ``many_models.py``'s synthetic data per model, the generated
projects' pipeline fitted on it (``--n-estimators`` trees), `models/shard-<k>/<name>/
model.joblib`, reports/models.json and the expectation suite of all the rows. ``measure``
starts `python -m mlops_kit.serving.serve --models reports/models.json` twice, with
`--max-models-mb` at ``--bound-mb`` and unbounded, and asks each model for one row in turn
(the first time, a cold load; ``--passes`` times, the memory read after each pass), then one
model 500 times (warm), from one keep-alive connection, each request beside one
``model.predict`` of the same row in this process; then the many-models service and the
single one (`--model`) of that model side by side, a request to each and a call in turn. It
reports the service process's peak RSS (VmHWM), the cold and warm latencies and the warm ones
over the in-process call.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import many_models  # noqa: E402

KIT = many_models.ROOT / "{{cookiecutter.project_slug}}" / "src"
WARM = 500


def build(root: Path, count: int, trees: int) -> None:
    import joblib
    import pandas as pd

    sys.path.insert(0, str(KIT))
    from mlops_kit import common
    from mlops_kit.validation import suite

    features, frames, entries = many_models.load_features(), [], {}
    for index in range(1, count + 1):
        frame = many_models.segment_frame(2024, index, small=False)
        frames.append(frame)
        name, x = many_models.segment_name(index), frame.drop(columns=["segment", "target"])
        model = many_models.make_pipeline(features, x, trees).fit(x, frame["target"])
        path = f"models/shard-{index % 4}/{name}"
        file = common.ensure_parent(root / path / "model.joblib")
        joblib.dump(model, file)
        md5 = hashlib.md5(file.read_bytes()).hexdigest()
        entries[name] = {"path": path, "shard": index % 4, "rows": {"train": len(frame)}}
        entries[name].update(metrics={}, overrides={}, fingerprint=md5, md5=md5)
    whole = pd.concat(frames, ignore_index=True).drop(columns=["segment"])
    common.write_json(root / "expectations" / "suite.json", suite.build_suite(whole, "raw_data"))
    report = {"segment_by": "segment", "task": "classification", "aggregate": {}, "skipped": {}}
    common.write_json(root / "reports" / "models.json", {**report, "models": entries})


def one_row(index: int) -> dict:
    frame = many_models.segment_frame(2024, index, small=False).head(1)
    return json.loads(frame.drop(columns=["segment", "target"]).to_json(orient="records"))[0]


class Service:
    def __init__(self, root: Path, *args: str):
        env = {**os.environ, "PYTHONPATH": str(KIT), "PYTHONDONTWRITEBYTECODE": "1"}
        command = [sys.executable, "-m", "mlops_kit.serving.serve", "--port", "0", *args]
        self.process = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE)
        first = self.process.stdout.readline().decode()
        host, port = first.split("http://", 1)[1].split()[0].rsplit(":", 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=120)

    def ask(self, method: str, path: str, body: dict | None = None) -> tuple[float, dict]:
        data = json.dumps(body).encode() if body is not None else None
        began = time.perf_counter()
        self.connection.request(method, path, data, {"Content-Type": "application/json"})
        response = self.connection.getresponse()
        answer = json.loads(response.read())
        took = time.perf_counter() - began
        if response.status != 200:
            raise AssertionError(f"{path}: {response.status} {answer}")
        return took, answer

    def peak_rss_mb(self, key: str = "VmHWM:") -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith(key))
        return round(int(line.split()[1]) / 1024, 1)

    def stop(self) -> None:
        self.connection.close()
        self.process.terminate()
        self.process.wait(timeout=60)


def ms(values: list[float], share: float = 0.5) -> float:
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))], 3)


def warm(service: Service, path: str, model, row: dict) -> dict:
    """WARM one-row requests, each beside one ``model.predict`` of the row in this process
    (side by side, on a shared machine)."""
    import pandas as pd

    frame, body = pd.DataFrame([row]), {"dataframe_records": [row]}
    asked, called = [], []
    for _ in range(20):
        service.ask("POST", path, body), model.predict(frame)
    for _ in range(WARM):
        asked.append(service.ask("POST", path, body)[0])
        began = time.perf_counter()
        model.predict(frame)
        called.append(time.perf_counter() - began)
    found = {"p50_ms": ms(asked), "p95_ms": ms(asked, 0.95), "in_process_p50_ms": ms(called)}
    return {**found, "over_in_process": round(found["p50_ms"] / found["in_process_p50_ms"], 2)}


def many(root: Path, bound_mb: float, rows: dict[str, dict], model, passes: int) -> dict:
    service = Service(root, "--models", "reports/models.json", "--max-models-mb", str(bound_mb))
    try:
        cold, after = [], []
        for number in range(passes):  # the first pass loads each model; later ones, if evicted
            for name, row in rows.items():
                path, body = f"/models/{name}/invocations", {"dataframe_records": [row]}
                took, _ = service.ask("POST", path, body)
                cold += [took] if number == 0 else []
            after.append(service.peak_rss_mb("VmRSS:"))
        name, row = next(iter(rows.items()))
        found = {"max_models_mb": bound_mb, "peak_rss_mb": service.peak_rss_mb()}
        found["rss_after_each_pass_mb"] = after
        found["first_request_ms"] = ms(cold[:1])  # the libraries' imports as well
        found["cold_ms"] = {"p50": ms(cold[1:]), "p95": ms(cold[1:], 0.95), "max": ms(cold, 1.0)}
        found["warm"] = warm(service, f"/models/{name}/invocations", model, row)
        state = service.ask("GET", "/health")[1]["models"]
        found.update({key: state[key] for key in ("loaded", "loads", "evictions")})
        found.update(loaded_mb=round(state["loaded_bytes"] / 2**20, 1))
        return {**found, "peak_mb": round(state["peak_bytes"] / 2**20, 1)}
    finally:
        service.stop()


def side_by_side(root: Path, path: str, name: str, model, row: dict) -> dict:
    """The many-models service and the single one (`--model`) of the same model, each one-row
    request of one beside one of the other and one ``model.predict`` in this process."""
    import pandas as pd

    many = Service(root, "--models", "reports/models.json")
    single = Service(root, "--model", f"{path}/model.joblib")
    frame, body = pd.DataFrame([row]), {"dataframe_records": [row]}
    routes = {"many": (many, f"/models/{name}/invocations"), "single": (single, "/invocations")}
    times: dict[str, list[float]] = {"many": [], "single": [], "in_process": []}
    try:
        for number in range(WARM + 20):
            for key, (service, route) in routes.items():
                took = service.ask("POST", route, body)[0]
                times[key] += [took] if number >= 20 else []
            began = time.perf_counter()
            model.predict(frame)
            times["in_process"] += [time.perf_counter() - began] if number >= 20 else []
    finally:
        many.stop(), single.stop()
    found = {f"{key}_p50_ms": ms(values) for key, values in times.items()}
    found["many_over_single"] = round(found["many_p50_ms"] / found["single_p50_ms"], 2)
    for key in ("many", "single"):
        found[f"{key}_over_in_process"] = round(
            found[f"{key}_p50_ms"] / found["in_process_p50_ms"], 2
        )
    return found


def measure(root: Path, bound_mb: float, passes: int) -> dict:
    import joblib

    report = json.loads((root / "reports" / "models.json").read_text())
    names = list(report["models"])
    rows = {name: one_row(index) for index, name in enumerate(names, 1)}
    sizes = [(root / e["path"] / "model.joblib").stat().st_size for e in report["models"].values()]
    first = report["models"][names[0]]["path"]
    model = joblib.load(root / first / "model.joblib")
    found = {"models": len(names), "model_file_mb_mean": round(statistics.mean(sizes) / 2**20, 3)}
    found["model_files_mb"] = round(sum(sizes) / 2**20, 1)
    found["bounded"] = many(root, bound_mb, rows, model, passes)
    found["unbounded"] = many(root, 1_000_000.0, rows, model, passes)
    found["side_by_side"] = side_by_side(root, first, names[0], model, rows[names[0]])
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("build", "measure"))
    parser.add_argument("dir", type=Path)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--n-estimators", type=int, default=20)
    parser.add_argument("--bound-mb", type=float, default=64.0)
    parser.add_argument("--passes", type=int, default=1, help="requests to every model")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.dir, args.models, args.n_estimators)
        return 0
    found = measure(args.dir, args.bound_mb, args.passes)
    text = json.dumps(found, indent=2) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
