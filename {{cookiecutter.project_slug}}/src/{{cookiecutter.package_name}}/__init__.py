"""Pipeline stages: ingest, validate, prepare, train and evaluate, plus the suite builder.

Each stage is a module run as ``python -m <package>.<stage>`` by ``dvc repro``.
"""
