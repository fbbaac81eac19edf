"""The pipeline report of pull requests and job summaries, every name made inert.

- ``charts``: the evaluate stage's plot files as Mermaid charts (mermaid.py) and Markdown
  tables, so the CI report shows the plots without images; curves are resampled to keep the
  comment small.
- ``experiments_table``: the experiments report (comparison/experiments.py): one row per
  experiment with the gate's verdict, each gated metric against the baseline and the parameters
  that differ, as a terminal table and as GitHub Markdown, where each experiment also gets the
  pull request's own metrics and parameters tables (tables.py).
- ``markdown``: make text from data, parameters, metrics or the event inert in GitHub Markdown.
- ``mermaid``: mermaid `xychart-beta` blocks, which GitHub draws inside comments and job
  summaries.
- ``models_section``: the report's parts for a project of many models: counts, the worst
  regressions, the models new, removed and skipped, the parameters and overrides that changed
  and for which models, and the verdict naming the models that fail the gate.
- ``models_table``: the table of every model against the baseline, as Markdown and CSV files
  and in the job summary, cut to stay under GitHub's 1 MiB.
- ``outcome``: say how the pipeline job went, from its steps' outcomes and DVC's output, in one
  place.
- ``report``: write the pipeline report posted on pull requests: verdict, metrics against the
  baseline, every model's against the baseline (many models), parameter changes, data
  validation, what the model relies on (explanations.py) and the plots, as GitHub Markdown.
- ``slice_table``: the "Slices" section of the pipeline report: the slice gate's verdict on each
  rule, then each sliced column's metrics with their bootstrap intervals, from compare.json's
  `slices`.
- ``tables``: the tables of the pipeline report: metrics against the baseline, the gate rules a
  change proposes, parameter changes and the data validation summary, as GitHub Markdown
  sections.

``python -m mlops_kit.reporting.report`` renders it with the standard library only;
``python -m mlops_kit.reporting.outcome`` says how the job went.
"""
