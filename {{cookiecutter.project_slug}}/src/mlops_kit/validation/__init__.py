"""Data validation with Great Expectations: the suite builder, the runner, batches, findings.

- ``batches``: reading a Parquet file batch by batch, and adding up what GX says of each batch.
- ``checks``: run an expectation suite with Great Expectations and turn each result into a plain
  outcome.
- ``chunks``: validate a Parquet file batch by batch (validate.chunk_rows), one batch in memory
  at a time.
- ``dtypes``: the type lists the suite builder writes: one list per kind of column, for every
  engine.
- ``findings``: what the validate stage writes: the summary (a DVC metric), one line per failed
  expectation, and the Markdown report.
- ``gxrun``: great Expectations on pandas frames, set up once and run frame after frame.
- ``suite``: build a Great Expectations suite (1.x JSON format) from a data file, without
  importing GX.

``python -m mlops_kit.validation.suite DATA`` writes a starting suite from a data file.
"""
