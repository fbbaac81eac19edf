"""What the pipeline wrote (reports/*.json) has the shape the template's kit reads: the
comparison, the report, the model card and the monitor take nothing else from the pipeline.

A stage of yours may compute these differently, never write them in another shape."""

import json

import jsonschema
import pytest
from test_shipped_model{{ 's' if cookiecutter.segment_by }} import built

from mlops_kit import schemas

pytestmark = pytest.mark.artifact


{%- if cookiecutter.segment_by %}
OUTPUTS = schemas.MANY_MODELS_OUTPUTS
{%- else %}
OUTPUTS = schemas.OUTPUTS
{%- endif %}


def check(path, name: str) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    try:
        jsonschema.validate(document, schemas.schema(name))
    except jsonschema.ValidationError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "(the document)"
        pytest.fail(f"{path}: at {where}: {error.message}", pytrace=False)


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_each_output_has_the_shape_the_kit_reads(root, name):
    check(built(root, OUTPUTS[name]), name)
{%- if cookiecutter.segment_by %}


@pytest.mark.parametrize("name", sorted(schemas.MODEL_FILES))
def test_each_models_files_have_the_shape_the_kit_reads(root, name):
    listing = json.loads(built(root, OUTPUTS["models"]).read_text(encoding="utf-8"))
    for entry in listing["models"].values():
        check(built(root, f"{entry['path']}/{schemas.MODEL_FILES[name]}"), name)
{%- endif %}
