"""Releasing models: publish a GitHub release with its assets, version tags, stages, the registry.

- ``champion``: the champion: the published release a new model is compared with, and its
  repair.
- ``github_release``: make one release converge: a draft, its assets uploaded and checked, then
  published.
- ``manifest``: the manifest of a many-models release: every current model, its version
  and its files.
- ``many``: publish a many-models project: one release `models-release-<N>` of the models
  that changed.
- ``promote``: promote a published model version to a stage: the annotated tag
  `<model>#<stage>#N`.
- ``promote_group``: promote one model of many, or a group of them: the models a
  `models-release-<N>` holds.
- ``publish``: publish the model as a GitHub release tagged `<model>@vX.Y.Z`, with its model
  card.
- ``registry``: what each stage holds: the model registry as this checkout's git tags (GTO's
  format).
- ``stage_tags``: model stages as git tags in GTO's format, read with plain git (standard
  library only).
- ``versions``: model versions as GitHub releases and git tags named `<model>@vX.Y.Z` (GTO's
  convention).
- ``worktree``: publish only what was reviewed: the working tree must be the commit, but for the
  files the pipeline writes.

``python -m mlops_kit.release.publish``, ``...promote`` (``...promote_group`` with many models)
and ``...registry`` are the commands.
"""
