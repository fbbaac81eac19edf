"""Watching a released model: drift against the reference profile, the report, the issue.

- ``deployed``: which model the Monitor workflow checks: by default, the one deployed.
- ``drift``: drift statistics on numpy and scipy: a column's reference profile, and tests of a
  batch against it.
- ``issue``: keep one GitHub issue about the monitoring (of one model, or of many): opened on
  the first unhealthy check, updated in place on the next ones, closed with a comment when a
  check is healthy again.
- ``listing``: the report of a check of many models, bounded in size, the unhealthy ones
  first; the issue's list of exactly the unhealthy models.
- ``many``: check a batch against every model of a many-models project (reports/models.json),
  each on its segment's rows, with one correction over all their tests.
- ``many_release``: which models a check of many models reads: this checkout's, or those a
  release `models-release-<N>` lists, downloaded and checked only for the batch's segments.
- ``monitor``: check a batch of new data against the reference profile: drift and, with the
  target, metrics.
- ``performance``: the model's metrics on a labelled batch, judged with the `compare.metrics`
  rules.
- ``reference``: what the monitor compares a batch with, read and checked: the profile.
- ``released``: the files the monitor reads: this checkout's, or those of a published release.
- ``report``: the monitoring report in GitHub Markdown, with Mermaid charts of the worst
  columns.

``python -m mlops_kit.monitoring.monitor --current FILE`` checks a batch (exit 0 healthy, 1 drift,
2 anything else); ``python -m mlops_kit.monitoring.issue`` keeps the one monitoring issue.
"""
