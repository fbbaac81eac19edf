"""Reading a data file a batch at a time, and writing one that appears only when complete."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from mlops_kit import common


def _cannot_read(path: Path, exc: Exception) -> common.UserError:
    return common.UserError(f"cannot read {path}: {' '.join(str(exc).split())[:200]}")


def header(path: Path) -> tuple[list[str], list[str]]:
    """(the column names of a CSV or Parquet file, those of them holding lists, structs or
    maps), from its header (a Parquet file's schema) alone."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.suffix.lower() not in common.DATA_SUFFIXES:
        raise common.UserError(f"{path}: unsupported file type; use .csv or .parquet")
    if not path.is_file():
        raise common.UserError(f"{path} not found")
    try:
        if path.suffix.lower() == ".parquet":
            fields = list(pq.ParquetFile(path).schema_arrow)
            return [f.name for f in fields], [f.name for f in fields if pa.types.is_nested(f.type)]
        return [str(name) for name in pd.read_csv(path, nrows=0).columns], []
    except (OSError, ValueError, pa.ArrowException, pd.errors.ParserError) as exc:
        raise _cannot_read(path, exc) from None


def batches(path: Path, text: list[str], rows: int):
    """The frames of a CSV or Parquet file, ``rows`` rows at a time; in a CSV, the ``text``
    columns are read as text (a column of codes such as 01, 02 keeps its zeros)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if path.suffix.lower() == ".parquet":
            for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
                yield batch.to_pandas()
            return
        with pd.read_csv(path, chunksize=rows, dtype=dict.fromkeys(text, object)) as reader:
            yield from reader
    except (OSError, ValueError, pa.ArrowException, pd.errors.ParserError) as exc:
        raise _cannot_read(path, exc) from None


def same_file(one: Path, other: Path) -> bool:
    """Whether ``one`` and ``other`` name one file: the same path once symbolic links and
    ``..`` are resolved, or (both existing) the same file on disk, a hard link included."""
    if one.resolve() == other.resolve():
        return True
    try:
        return one.exists() and other.exists() and os.path.samefile(one, other)
    except OSError:
        return False


def writable(path: Path) -> None:
    """Raise a UserError unless a file can be written at ``path``: not a folder, not under a
    file, in a folder (or one to be made) that can be written."""
    if path.is_dir():
        raise common.UserError(f"{path} is a folder; give a file name for the output")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise common.UserError(f"{path}: {folder} is a file, not a folder; choose another path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise common.UserError(f"{path}: the folder {folder} cannot be written; choose another")


class Writer:
    """Appends frames to a partial file beside a CSV or Parquet file, which appears only at
    ``commit`` (after ``finish``); ``discard`` removes what was written and the folders made
    for it, so a stopped run leaves nothing behind. A failure to write is a UserError."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.suffix.lower() not in common.DATA_SUFFIXES:
            raise common.UserError(f"{path}: write .csv or .parquet")
        self.partial = self.path.with_name(f".{self.path.name}.partial")
        self.parquet, self.rows, self.started, self.made = None, 0, False, []

    def _failed(self, exc: OSError) -> common.UserError:
        says = exc.strerror or " ".join(str(exc).split())[:200]
        return common.UserError(f"cannot write {self.path}: {says}; check the path and the disk")

    def write(self, frame) -> None:
        try:
            if not self.started:
                self.made = [p for p in self.partial.parents if not p.exists()][::-1]
                common.ensure_parent(self.partial)
            self._write(frame)
        except OSError as exc:
            raise self._failed(exc) from None
        self.started, self.rows = True, self.rows + len(frame)

    def _write(self, frame) -> None:
        if self.path.suffix.lower() == ".csv":
            mode, first = ("a", False) if self.started else ("w", True)
            frame.to_csv(self.partial, mode=mode, header=first, index=False)
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            if self.parquet is None:
                table = pa.Table.from_pandas(frame, preserve_index=False)
                self.parquet = pq.ParquetWriter(self.partial, table.schema)
            else:
                schema = self.parquet.schema
                table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        except OSError:
            raise
        except (pa.ArrowException, ValueError) as exc:
            raise common.UserError(
                f"{self.path}: rows after {self.rows} do not fit the columns of those before "
                f"({' '.join(str(exc).split())[:200]}); write a .csv instead"
            ) from None
        self.parquet.write_table(table)

    def finish(self, empty) -> None:
        """Complete the partial file (``empty``, a frame of no rows, when nothing was written)."""
        if not self.started:
            self.write(empty)
        parquet, self.parquet = self.parquet, None
        try:
            if parquet is not None:
                parquet.close()
        except OSError as exc:
            raise self._failed(exc) from None

    def commit(self) -> None:
        """Put the finished file in its place."""
        try:
            self.partial.replace(self.path)
        except OSError as exc:
            raise self._failed(exc) from None

    def discard(self) -> None:
        """Remove what was written, and the folders made for it when they are empty."""
        with contextlib.suppress(OSError):
            if self.parquet is not None:
                self.parquet, parquet = None, self.parquet
                parquet.close()
        with contextlib.suppress(OSError):
            self.partial.unlink(missing_ok=True)
        for folder in reversed(self.made):
            try:
                folder.rmdir()
            except OSError:
                break


def writers(source: Path, out_path, rejected=None, skip=False) -> tuple[Writer, Writer | None]:
    """The writers of the output and (``skip``) of the rejected rows, by default beside it,
    once neither file (nor its partial file) is the input, nor the other, and both can be
    written: all checked before anything is read."""
    out = Writer(out_path)
    named = Path(rejected) if rejected else None
    if skip and named is None:
        named = out.path.with_suffix(".rejected.csv")
    for flag, path in (("--out", out.path), ("--rejected", named)):
        partial = path and path.with_name(f".{path.name}.partial")
        if path is not None and (same_file(path, source) or same_file(partial, source)):
            raise common.UserError(f"{flag} {path} is the input {source}; write to another file")
    if named is not None and same_file(out.path, named):
        raise common.UserError(f"--out and --rejected are one file ({out.path}); give two")
    bad = Writer(named) if skip else None
    for writer in (out, bad):
        if writer is not None:
            writable(writer.path)
    return out, bad
