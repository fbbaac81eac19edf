"""GitHub's REST API on the standard library: the client and the pull-request comment.

- ``client``: a small GitHub REST client on the standard library, for CI and for runs by hand.
- ``comment``: post the pipeline report on the pull request, editing the previous one instead of
  adding more.

``python -m mlops_kit.github.comment`` is the only writer of the pull-request comment.
"""
