"""Ingest stage: load the raw data set named by ``ingest.source`` and write it as Parquet.

To read from somewhere else (a database, an API, many files), replace ``main`` with your own
code that writes the same file: a table holding the ``ingest.target`` column.
"""

from mlops_kit.pipeline import ingest


def main(argv: list[str] | None = None) -> int:
    return ingest.main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
