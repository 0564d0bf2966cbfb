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


@pytest.fixture
def portals(app, publish_folder):
    """The CKAN and Socrata stand-in (tests/portal_standin.py), running, with the app's settings
    pointing at it: contracts.csv and readings.csv go to two Socrata datasets, in batches of 40
    rows so that readings.csv takes several."""
    from tests.portal_standin import PortalStandIn

    standin = PortalStandIn().start()
    app.config.update(
        CKAN_URL=standin.url, CKAN_API_KEY=standin.ckan_key, CKAN_OWNER_ORG=standin.ckan_org,
        SOCRATA_DOMAIN=standin.url, SOCRATA_APP_TOKEN=standin.socrata_token,
        SOCRATA_USERNAME=standin.socrata_credentials[0], SOCRATA_PASSWORD=standin.socrata_credentials[1],
        SOCRATA_DATASETS="contracts.csv=abcd-1234,readings.csv=wxyz-5678", SOCRATA_BATCH_ROWS=40,
        PUSH_TIMEOUT_SECONDS=10,
    )
    yield standin
    standin.stop()
