"""The OCDS record package: per contracting process, its releases (linked, by URL) and the
compiled release, merged with the Open Contracting Partnership's reference rules (ocdsmerge)."""
import json
from functools import lru_cache
from pathlib import Path

import ocdsmerge

# The OCDS 1.1.5 release schema patched with the Metrics extension: the merge rules come from it,
# so compiling needs no network (ocdsmerge would otherwise download the schema).
RELEASE_SCHEMA = Path(__file__).with_name("release-schema.json")


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
    merger = _merger()
    records = [
        {
            "ocid": ocid,
            "releases": [
                {"url": f"{package['uri']}#{release['id']}", "date": release["date"], "tag": release["tag"]}
                for release in releases
            ],
            "compiledRelease": merger.create_compiled_release(releases),
        }
        for ocid, releases in by_ocid.items()
    ]
    head = {key: package[key] for key in ("version", "extensions", "publishedDate", "publisher", "license",
                                          "publicationPolicy") if key in package}
    return {"uri": uri, **head, "packages": [package["uri"]], "records": records}
