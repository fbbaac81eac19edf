"""CI tooling, run from the workflows as ``python -m <package>_ci.<module>``: remote (DVC pull
and push, with credentials.py), compare (DVC's diffs from diffs.py, judged by gate.py),
report (tables.py, and charts.py with mermaid.py), comment (on github.py), and publish
(releases.py, and modelcard.py with versions.py).

It may read what the pipeline wrote and use the ML package's helpers; no pipeline stage
imports it, so editing it never reruns a stage.
"""
