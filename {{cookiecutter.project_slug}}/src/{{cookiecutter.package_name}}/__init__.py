"""{{ cookiecutter.project_name }}: the team's own code.

One module per pipeline stage, each run as ``python -m {{ cookiecutter.package_name }}.<stage>`` by
``dvc repro`` (ingest, validate, prepare, train, evaluate), plus the two files a data scientist
edits most: ``features.py`` (what the model sees) and ``model.py`` (which estimators
``train.model`` can name). The generic work is the template's kit, ``mlops_kit``.
"""
