"""What the pipeline wrote (reports/*.json) has the shape the template's kit reads: the
comparison, the report, the model card and the monitor take nothing else from the pipeline.

A stage of yours may compute these differently, never write them in another shape."""

import json

import jsonschema
import pytest
from test_shipped_model import built

from mlops_kit import schemas

pytestmark = pytest.mark.artifact


@pytest.mark.parametrize("name", sorted(schemas.OUTPUTS))
def test_each_output_has_the_shape_the_kit_reads(root, name):
    path = built(root, schemas.OUTPUTS[name])
    document = json.loads(path.read_text(encoding="utf-8"))
    try:
        jsonschema.validate(document, schemas.schema(name))
    except jsonschema.ValidationError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "(the document)"
        pytest.fail(f"{path.name}: at {where}: {error.message}", pytrace=False)
