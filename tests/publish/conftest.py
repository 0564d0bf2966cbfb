"""The DCAT-US validator (the schema files kept beside these tests) and a per-test publish folder."""
import copy
import json
from functools import lru_cache
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMA = Path(__file__).parent / "schema"
# Required of US federal agencies only (the schema's USG note).
FEDERAL_ONLY = {"bureauCode", "programCode"}


@lru_cache(maxsize=1)
def _dcat_validator():
    documents = {name: json.loads((SCHEMA / f"{name}.json").read_text(encoding="utf-8"))
                 for name in ("catalog", "dataset", "distribution", "organization", "vcard")}
    documents["dataset"] = copy.deepcopy(documents["dataset"])
    documents["dataset"]["required"] = [f for f in documents["dataset"]["required"] if f not in FEDERAL_ONLY]
    registry = Registry().with_resources(
        (document["id"].rstrip("#"), Resource.from_contents(document, default_specification=DRAFT4))
        for document in documents.values()
    )
    return Draft4Validator(documents["catalog"], registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER)


def dcat_errors(document):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in _dcat_validator().iter_errors(document)]


@pytest.fixture
def publish_folder(app, tmp_path):
    folder = tmp_path / "publish"
    app.config["PUBLISH_DIR"] = str(folder)
    return folder
