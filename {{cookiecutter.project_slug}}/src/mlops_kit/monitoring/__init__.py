"""Watching a released model: drift against the reference profile, the report, the issue.

- ``drift``: drift statistics on numpy and scipy: a column's reference profile, and tests of a
  batch against it.
- ``issue``: keep one GitHub issue per model about its monitoring: opened on the first unhealthy
  check, updated in place on the next ones, closed with a comment when a check is healthy again.
- ``monitor``: check a batch of new data against the reference profile: drift and, with the
  target, metrics.
- ``performance``: the model's metrics on a labelled batch, judged with the `compare.metrics`
  rules.
- ``reference``: what the monitor compares a batch with, read and checked: the profile.
- ``report``: the monitoring report in GitHub Markdown, with Mermaid charts of the worst
  columns.

``python -m mlops_kit.monitoring.monitor --current FILE`` checks a batch (exit 0 healthy, 1 drift,
2 anything else); ``python -m mlops_kit.monitoring.issue`` keeps the one monitoring issue.
"""
