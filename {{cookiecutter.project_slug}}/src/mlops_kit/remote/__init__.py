"""The project's DVC remote in CI: pull and push, and which credentials it needs.

- ``credentials``: the default DVC remote from .dvc/config, and whether credentials for it are
  in sight.
- ``sync``: pull or push DVC data and models through the default remote.

``python -m mlops_kit.remote.sync pull|push``.
"""
