"""The MLOps template's kit: the generic machinery of a project made from the template.

The same files in every project made from one template version; the project's own code, in
its own package, calls it, and nothing here imports that package. Sub-packages by concern:

- ``pipeline``: the generic work of each stage (ingest, validate, prepare, train, evaluate).
- ``validation``: Great Expectations: the suite builder, the runner, batches, the findings.
- ``evaluation``: explanations, metrics by slice, bootstrap intervals, the reference profile.
- ``segments``: many models, one per segment: the plan, the shards, the aggregate.
- ``spark``: the validate, prepare and train stages on a Spark cluster.
- ``serving``: batch prediction, the HTTP service, input checks, lineage, release downloads.
- ``monitoring``: drift against the reference profile, its report, the monitoring issue.
- ``comparison``: the baseline, DVC's diffs and the gates, for CI.
- ``reporting``: the pipeline report of pull requests, every name made inert.
- ``release``: GitHub releases, version and stage tags, promotion, the registry.
- ``modelcard``: the model card published with each release.
- ``github``: the REST client on the standard library, and the pull-request comment.
- ``remote``: the DVC remote in CI: pull, push, credentials.
- ``schemas``: the JSON Schemas of the reports the pipeline writes and CI reads.

See README.md beside this file: the template owns this folder.
"""

__version__ = "0.3.0"
