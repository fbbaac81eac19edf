"""Judging a change: what to compare with and the verdict, for CI.

- ``baseline``: find what CI compares the new metrics with, and write it to a JSON file for
  compare.py.
- ``compare``: compare the workspace metrics and params with those of the baseline.
- ``diffs``: what DVC says changed between a baseline git revision and the workspace.
- ``experiments``: experiments judged as their pull request would be: metrics against the
  baseline, the parameters that differ, and the gate's verdict, in the terminal and as Markdown.
- ``gate``: the gate: judge new metrics against a baseline's with the rules under
  `compare.metrics`.
- ``importance``: the explanations section of the pipeline report: the groups of correlated
  features that matter most, how the importance ranking moved against the baseline, and partial
  dependence.
- ``model_files``: write where every model's comparison goes besides compare.json: the
  whole table as Markdown and CSV beside it, the job summary, and annotations.
- ``model_params``: the training parameters a many-models change edits, and the models each
  applies to.
- ``models``: every model of a many-models project against the baseline's (reports/models.json),
  for compare.json's `models`.
- ``slice_gaps``: the slice gate: judge the gaps in reports/slices.json with the rules under
  `compare.slices`.

Run by the Pipeline workflow as ``python -m mlops_kit.comparison.baseline`` and
``python -m mlops_kit.comparison.compare``; reads only what the pipeline wrote.
``python -m mlops_kit.comparison.experiments`` (``python3 tasks.py experiments``) judges the
DVC experiments of a clone the same way.
"""
