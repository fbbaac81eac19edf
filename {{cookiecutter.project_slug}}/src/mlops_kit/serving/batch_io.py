"""Reading a data file a batch at a time, and writing one that appears only when complete."""

from __future__ import annotations

from pathlib import Path

from mlops_kit import common


def batches(path: Path, text: list[str], rows: int):
    """The frames of a CSV or Parquet file, ``rows`` rows at a time; in a CSV, the ``text``
    columns are read as text (a column of codes such as 01, 02 keeps its zeros)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.suffix.lower() not in common.DATA_SUFFIXES:
        raise common.UserError(f"{path}: unsupported file type; use .csv or .parquet")
    if not path.is_file():
        raise common.UserError(f"{path} not found")
    try:
        if path.suffix.lower() == ".parquet":
            for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
                yield batch.to_pandas()
            return
        with pd.read_csv(path, chunksize=rows, dtype=dict.fromkeys(text, object)) as reader:
            yield from reader
    except (OSError, ValueError, pa.ArrowException, pd.errors.ParserError) as exc:
        raise common.UserError(f"cannot read {path}: {' '.join(str(exc).split())}") from None


class Writer:
    """Appends frames to a CSV or Parquet file; the file appears only when ``close`` is
    called with ``keep``, so a stopped run leaves nothing half-written."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.suffix.lower() not in common.DATA_SUFFIXES:
            raise common.UserError(f"{path}: write .csv or .parquet")
        self.partial = self.path.with_name(f".{self.path.name}.partial")
        self.parquet, self.rows, self.started = None, 0, False

    def write(self, frame) -> None:
        common.ensure_parent(self.partial)
        if self.path.suffix.lower() == ".csv":
            frame.to_csv(
                self.partial,
                mode="a" if self.started else "w",
                header=not self.started,
                index=False,
            )
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            try:
                if self.parquet is None:
                    table = pa.Table.from_pandas(frame, preserve_index=False)
                    self.parquet = pq.ParquetWriter(self.partial, table.schema)
                else:
                    schema = self.parquet.schema
                    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
            except (pa.ArrowException, ValueError) as exc:
                raise common.UserError(
                    f"{self.path}: rows after {self.rows} do not fit the columns of those before "
                    f"({' '.join(str(exc).split())}); write a .csv instead"
                ) from None
            self.parquet.write_table(table)
        self.started, self.rows = True, self.rows + len(frame)

    def close(self, keep: bool, empty=None) -> None:
        """Finish the file (``empty``, a frame of no rows, when nothing was written) if
        ``keep``; else remove what was written."""
        if keep and not self.started:
            self.write(empty)
        if self.parquet is not None:
            self.parquet.close()
        if keep:
            self.partial.replace(self.path)
        self.partial.unlink(missing_ok=True)
