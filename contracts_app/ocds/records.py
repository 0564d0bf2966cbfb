"""The OCDS record package: per contracting process, its releases (linked, by URL) and the
compiled release, merged with the Open Contracting Partnership's reference rules (ocdsmerge).

``record_package(package, uri)`` builds it from a release package dict; the nightly publication
writes it streaming, from ``record_package_head`` and one ``record`` per process."""
import json
from functools import lru_cache
from pathlib import Path

import ocdsmerge

# The OCDS 1.1.5 release schema patched with the Metrics extension: the merge rules come from it,
# so compiling needs no network (ocdsmerge would otherwise download the schema).
RELEASE_SCHEMA = Path(__file__).with_name("release-schema.json")
_HEAD_KEYS = ("version", "extensions", "publishedDate", "publisher", "license", "publicationPolicy")


@lru_cache(maxsize=1)
def _merger():
    return ocdsmerge.Merger(schema=json.loads(RELEASE_SCHEMA.read_text(encoding="utf-8")))


def record_package(package, uri):
    """The record package of the release package ``package`` (as ``release_package`` returns
    it), to be published at ``uri``. Each record links its releases in the release package and
    carries their compiled release."""
    by_ocid = {}
    for release in package["releases"]:
        by_ocid.setdefault(release["ocid"], []).append(release)
    records = [record(ocid, releases, package["uri"]) for ocid, releases in by_ocid.items()]
    return {**record_package_head(package, uri), "records": records}


def record_package_head(package_head, uri):
    """The record package at ``uri`` without its records (which come last), for the release
    package whose head (or whole dict) is ``package_head``."""
    head = {key: package_head[key] for key in _HEAD_KEYS if key in package_head}
    return {"uri": uri, **head, "packages": [package_head["uri"]]}


def record(ocid, releases, package_uri):
    """The record of the process ``ocid`` from its ``releases`` in the package at ``package_uri``."""
    return {
        "ocid": ocid,
        "releases": [
            {"url": f"{package_uri}#{release['id']}", "date": release["date"], "tag": release["tag"]}
            for release in releases
        ],
        "compiledRelease": _merger().create_compiled_release(releases),
    }
