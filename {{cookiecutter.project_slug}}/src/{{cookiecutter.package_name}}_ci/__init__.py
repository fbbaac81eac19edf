"""CI tooling: baseline and comparison, the pull-request report, the GitHub client, publishing
and the model card. Run from the workflows as ``python -m <package>_ci.<module>``.

It may read what the pipeline wrote and use the ML package's helpers; no pipeline stage
imports it, so editing it never reruns a stage.
"""
