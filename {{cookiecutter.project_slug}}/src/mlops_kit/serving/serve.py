"""Serve the model over HTTP (FastAPI and uvicorn, the `serve` extra), as MLflow's scoring server.

    python -m mlops_kit.serving.serve --model models/model.joblib --port 8000
    python -m mlops_kit.serving.serve --release latest          # or --release model@v1.2.0
    python -m mlops_kit.serving.serve --stage production        # the version promoted there
    python -m mlops_kit.serving.serve --models reports/models.json   # a many-models project
    python -m mlops_kit.serving.serve --release latest          # its models-release-<N>

With `--model`, the lineage comes from this project (git, dvc.lock, reports/) and the rules
from `--suite`; with `--release`, the published model is downloaded from GitHub and checked,
before it is loaded (loading a model file runs its code), against the md5 dvc.lock records at
the release's tag in this checkout (trust.py), and its lineage.json gives both; with `--stage`, the
release is the one the stage's latest `model#<stage>#N` tag in this checkout names (the
Promote workflow writes them; `git fetch --tags` first). `--port 0` picks a
free port; the first line printed names the address. See service/app.py for the endpoints.
With `--models` (never implied: a many-models project names it), every model that
reports/models.json lists is served at /models/<name>/, each loaded on its first request and
checked against the md5 recorded there (service/many_app.py, service/model_cache.py).
With `--release models-release-<N>` (or `latest` in a many-models project), the models its
manifest.json lists are served the same way, each downloaded (into `--cache`) on its first
request and checked against reports/models.json at its version tag (release_models.py).

The limits (body size, rows, timeouts, requests scored and waiting, the log's size) come from
params.yaml's `serve:` section when there is one, each overridden by its flag (`--max-body-mb`
...; service/limits.py has the defaults); `--workers N` serves from N processes
(service/protocol.py).
"""

from __future__ import annotations

import argparse
import io
import pickle
import socket
import sys
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.serving import download, input_rules, lineage, many_models, predict, release_models
from mlops_kit.serving.service import limits


def local(model_path: str, suite: str) -> tuple[Any, list[input_rules.Column], dict[str, Any]]:
    if not Path(model_path).is_file() and Path(many_models.MODELS_JSON).is_file():
        raise common.UserError(
            f"{model_path} not found; this project trains many models: serve them with "
            f"--models {many_models.MODELS_JSON}"
        )
    model, features = predict.load_model(model_path)
    record = lineage.collect(model_path)
    if not record["model"]["matches_dvc_lock"]:
        print(
            f"note: {model_path} is not the model dvc.lock records; /metadata says so",
            file=sys.stderr,
        )
    return model, predict.load_rules(suite, features), record


def many(report: str, suite: str, allowed: limits.Limits) -> dict[str, Any]:
    """The state of a service of every model of ``report`` (reports/models.json)."""
    catalog = many_models.read(report)
    files = [catalog.file(name) for name in catalog.names]
    sizes = [file.stat().st_size for file in files if file.is_file()]
    over = sum(size > allowed.max_models_mb * 2**20 for size in sizes)
    notes = {"over serve.max_models_mb alone (507)": over, "missing (503)": len(files) - len(sizes)}
    for what, count in notes.items():
        if count:
            print(f"note: {count} of the models' files are {what}", file=sys.stderr)
    rules = many_models.read_suite(suite)
    try:  # a trial load: the libraries the models need are imported before the first request
        for name in catalog.names[:1]:
            many_models.load(catalog, name, rules)
    except common.UserError as exc:
        print(f"note: {exc}", file=sys.stderr)
    return {"catalog": catalog, "suite": rules}


# a verified model file that still does not load here (another library version)
LOAD_ERRORS = (ImportError, AttributeError, TypeError, ValueError, EOFError, pickle.PickleError)


def published(wanted: str) -> tuple[Any, list[input_rules.Column], dict[str, Any]]:
    import joblib

    # loading runs the file's code (pickle): fetch has checked it against git's dvc.lock first
    data, record = download.fetch(wanted)
    tag = record["release"]
    suite = record.get("suite")
    if not isinstance(suite, dict):
        raise common.UserError(f"lineage.json of {tag} holds no expectation suite")
    try:
        model = joblib.load(io.BytesIO(data))
        features = [str(name) for name in model.feature_names_in_]
    except LOAD_ERRORS as exc:
        raise common.UserError(
            f"the model of {tag} is the released one but does not load here ({type(exc).__name__}"
            f": {str(exc)[:60]}); install the library versions its lineage.json lists"
        ) from None
    return model, input_rules.columns(suite, features), record


def listen(host: str, port: int) -> socket.socket:
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP named, not 0: asyncio sets TCP_NODELAY only on sockets that say so,
        # and without it each keep-alive answer waits ~40 ms for the client's delayed ACK
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)  # connections wait from now on, until uvicorn takes them
    except OSError as exc:
        raise common.UserError(
            f"cannot listen on {host}:{port} ({exc.strerror}); try --port"
        ) from None
    return sock


class Parser(argparse.ArgumentParser):
    """argparse, its errors in one line (exit 2) rather than the usage and a line."""

    def error(self, message: str):
        raise SystemExit(common.fail(f"{message} (see --help)"))


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = Parser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="joblib model file (models/model.joblib)")
    source.add_argument("--release", help="model@vX.Y.Z, models-release-<N> or latest (GitHub)")
    source.add_argument("--stage", help="the release promoted to this stage (production...)")
    source.add_argument("--models", help="every model of a many-models project's report")
    parser.add_argument("--suite", default=predict.SUITE, help="rules for --model's inputs")
    parser.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any)")
    parser.add_argument(
        "--log", help="append each prediction (validated inputs, outputs) as a JSON line here"
    )
    parser.add_argument("--workers", type=int, default=1, help="processes (default: 1)")
    parser.add_argument("--docs", action="store_true", help="serve /docs (loads from a CDN)")
    parser.add_argument("--params", default="params.yaml", help="its serve: section's limits")
    parser.add_argument("--cache", default=release_models.CACHE, help="many models' downloads")
    limits.add_flags(parser)
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, not {args.port}")
    if args.workers < 1:
        parser.error(f"--workers must be 1 or more, not {args.workers}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        return common.fail(
            "FastAPI and uvicorn are missing: install the serve extra (`uv sync --extra serve`)"
        )
    from mlops_kit.serving.service import protocol
    from mlops_kit.serving.service.prediction_log import PredictionLog

    try:
        allowed = limits.resolve(args, args.params)
        PredictionLog(args.log, allowed.log_max)  # writable, or refused now
        several = args.models or release_models.wanted(args.release)
        if args.models:
            state = many(args.models, args.suite, allowed)
        elif several:
            state = release_models.serving(args.release, args.suite, args.cache)
        elif args.model:
            model, checks, record = local(args.model, args.suite)
        elif args.stage:
            tag = download.for_stage(args.stage)
            print(f"serve: {args.stage} holds {tag}", file=sys.stderr, flush=True)
            model, checks, record = published(tag)
        else:
            model, checks, record = published(args.release)
        sock = listen(args.host, args.port)
    except common.UserError as exc:
        return common.fail(exc)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    if several:
        version = f"{len(state['catalog'].models)} models of {state['catalog'].source}"
    else:
        version = record.get("release") or f"md5:{record['model']['md5']}"
        state = {"model": model, "checks": checks, "record": record}
    docs = "docs: /docs" if args.docs else "schema: /openapi.json"
    print(f"serve: {version} on http://{shown}:{port} ({docs})", flush=True)
    state["log"] = args.log
    state.update(limits=allowed, docs=args.docs)
    protocol.run(state, sock, args.workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
