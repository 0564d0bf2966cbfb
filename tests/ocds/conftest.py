"""Helpers for the OCDS export tests: the schema (a copy kept in the repository) and a
validator that checks formats too."""
import json
import warnings
from functools import lru_cache
from pathlib import Path

import pytest
from flask import current_app
from jsonschema import Draft4Validator

SCHEMA = Path(__file__).parent / "schema" / "release-package-schema.json"


@lru_cache(maxsize=None)
def package_schema():
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _validator():
    return Draft4Validator(package_schema(), format_checker=Draft4Validator.FORMAT_CHECKER)


def schema_errors(package):
    """Every schema error as 'path: message' (an empty list for a valid package)."""
    return [
        f"{'/'.join(str(part) for part in error.absolute_path)}: {error.message[:200]}"
        for error in _validator().iter_errors(package)
    ]


def compile_releases(releases):
    """Merge the releases of each ocid with the reference implementation (ocdsmerge), turning
    its warnings (duplicate ids in an array) into errors; skips when ocdsmerge is absent."""
    ocdsmerge = pytest.importorskip("ocdsmerge")

    merger = ocdsmerge.Merger(schema=package_schema()["properties"]["releases"]["items"])
    by_ocid = {}
    for release in releases:
        by_ocid.setdefault(release["ocid"], []).append(release)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return {ocid: merger.create_compiled_release(group) for ocid, group in by_ocid.items()}


def release_of(package, contract):
    """The release of ``contract`` in ``package`` (or None)."""
    ocid = f"{current_app.config['OCDS_OCID_PREFIX']}-{contract.id}"
    return next((r for r in package["releases"] if r["ocid"] == ocid), None)
