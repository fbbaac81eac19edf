"""The model card published with every release: its facts, front matter and sections.

- ``approvals``: who started the release run and who approved it, for the model card.
- ``card``: the model card published with each model release: MODEL_CARD.md (also the release
  notes) and model_card.json, the same data for programs.
- ``facts``: everything a model card says, as one JSON document (the release's model_card.json).
- ``front_matter``: the model card's front matter, in the Hugging Face model card format.
- ``libraries``: the Python and library versions behind a model, for its model card.
- ``sections``: the model card's sections on metrics, slices, explanations and approvals, as
  Markdown.
"""
