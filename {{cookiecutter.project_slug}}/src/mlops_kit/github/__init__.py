"""GitHub's REST API on the standard library: the client and the pull-request comment.

- ``answers``: what an answer from GitHub's API means: when to ask again, an error's one-line
  message, and a body checked before it is read as JSON.
- ``client``: a small GitHub REST client on the standard library, for CI and for runs by hand.
- ``comment``: post the pipeline report on the pull request, editing the previous one instead of
  adding more.
- ``urls``: the URLs a GitHub request may go to (redirects), and URLs in messages with their
  credentials masked.

``python -m mlops_kit.github.comment`` is the only writer of the pull-request comment.
"""
