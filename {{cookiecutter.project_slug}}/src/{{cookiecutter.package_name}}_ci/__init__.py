"""CI tooling, run from the workflows as ``python -m <package>_ci.<module>``: remote (DVC pull
and push, with credentials.py), baseline (what to compare with), compare (DVC's diffs from
diffs.py, judged by gate.py), outcome (how the job went), report (tables.py, and charts.py
with mermaid.py, every name made inert by markdown.py), comment (on github.py), publish
(releases.py, and modelcard.py with carddata.py, cardfront.py, cardsections.py, approvals.py
and versions.py), promote (stage tags) and registry (what each stage holds, read with the ML
package's stages.py).

It may read what the pipeline wrote and use the ML package's helpers; no pipeline stage
imports it, so editing it never reruns a stage.
"""
