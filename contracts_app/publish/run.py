"""``publish_open_data(now)``: write every published file into PUBLISH_DIR.

What is written (the only files /public/data serves):

- ``release-package.json``: the OCDS release package of the public contracts (ocds.export);
- ``record-package.json``: the record package, each process's releases compiled (ocds.records);
- ``contracts.csv``, ``metrics.csv``, ``readings.csv``: the public, unarchived contracts, their
  metrics and readings (publish.tables);
- ``data.json``: the DCAT-US catalogue of the above (publish.catalog).

Each file is written under a temporary name and renamed over the old one only when its content
changed (publish.files), so a reader never sees half a file and a run that changes nothing
changes no file. The catalogue's "modified" is the release package's publishedDate (the last
published change), not the time of the run.

Everything is streamed, so that memory stays flat whatever the size of the city: the releases
are built a batch of contracts at a time and each is written to both packages (its record
compiled from it) before the next is built; the CSV rows come from queries fetched in batches.
The packages' publishedDate, which comes before the releases, is read up front with one
aggregate query (``latest_release_date``); should the data change while the packages are
written, so that the releases' latest date is not the one at the top, both packages are
written again (``ATTEMPTS`` in all).
"""
import json
import os
from dataclasses import dataclass, field

from flask import current_app

from contracts_app.ocds.export import iter_releases, latest_release_date, package_head, published_date
from contracts_app.ocds.records import record, record_package_head
from contracts_app.publish import catalog, tables
from contracts_app.publish.files import (
    JsonList, ReplacingFile, indented_json, json_text, member_texts, object_text, write_if_changed,
)

# name -> (media type, format, title, description of the file)
FILES = {
    "release-package.json": ("application/json", "JSON", "OCDS release package",
                             "Open Contracting Data Standard 1.1 release package with the Metrics extension."),
    "record-package.json": ("application/json", "JSON", "OCDS record package",
                            "Each contracting process with its releases and its compiled release."),
    "contracts.csv": ("text/csv", "CSV", "Contracts", "One row per public contract."),
    "metrics.csv": ("text/csv", "CSV", "Key metrics", "One row per key metric of a public contract."),
    "readings.csv": ("text/csv", "CSV", "Readings", "One row per reading of a key metric, by reporting period."),
    "data.json": ("application/json", "JSON", "Data catalogue", "DCAT-US (Project Open Data 1.1) catalogue of these files."),
}
DATASETS = [
    ("ocds", "strategic contracts as open contracting data (OCDS)",
     "The city's strategic contracts, their goals, key metrics with baselines, targets and results, and "
     "milestones, in the Open Contracting Data Standard.", ("release-package.json", "record-package.json")),
    ("contracts", "strategic contracts", "The city's public strategic contracts: vendor, value, term, "
     "status, payment structure and the citywide priorities each serves.", ("contracts.csv",)),
    ("metrics", "key metrics of strategic contracts", "The key metrics each public contract is held to: "
     "definition, unit, direction, baseline and target.", ("metrics.csv",)),
    ("readings", "results of strategic contracts", "Each key metric's reading per reporting period and "
     "whether it was on track.", ("readings.csv",)),
]


ATTEMPTS = 3
# A release package without releases is well under this; one with releases is not read back.
_EMPTY_PACKAGE_BYTES = 64 * 1024


class PublishConflict(Exception):
    """The public data kept changing while the packages were written (nothing was replaced)."""


class _Moved(Exception):
    """The releases' latest date is not the publishedDate the package was started with."""


@dataclass
class PublishResult:
    folder: str
    written: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)

    def as_dict(self):
        return {"folder": self.folder, "written": self.written, "unchanged": self.unchanged}


def publish_dir(config=None):
    config = config or current_app.config
    return config.get("PUBLISH_DIR") or os.path.join(current_app.instance_path, "publish")


def publish_open_data(now=None, folder=None):
    """Write the published files (see the module docstring); returns which changed."""
    config = current_app.config
    catalog.contact_email(config)  # refused before anything is written
    folder = folder or publish_dir(config)
    os.makedirs(folder, exist_ok=True)
    result = PublishResult(folder=folder)
    base = config["APP_BASE_URL"].rstrip("/") + "/public/data"
    prefix = config["OCDS_OCID_PREFIX"]

    packages = ("release-package.json", "record-package.json")
    for attempt in range(1, ATTEMPTS + 1):
        try:
            head, changed = _write_packages(folder, base, now)
            break
        except _Moved:
            if attempt == ATTEMPTS:
                raise PublishConflict(
                    f"The public contracts changed during each of {ATTEMPTS} attempts to write the OCDS "
                    f"packages; the earlier files were kept. Publish again when the city is quieter."
                ) from None
    for name, was_changed in zip(packages, changed):
        (result.written if was_changed else result.unchanged).append(name)
    files = [
        ("contracts.csv", tables.contracts_csv(prefix)),
        ("metrics.csv", tables.metrics_csv(prefix)),
        ("readings.csv", tables.readings_csv(prefix)),
    ]
    datasets = [
        (key, title, description, [(name, *FILES[name][:3]) for name in names])
        for key, title, description, names in DATASETS
    ]
    modified = head["publishedDate"][:10]
    files.append(("data.json", [json_text(catalog.catalog(config, datasets, modified))]))
    for name, chunks in files:
        changed = write_if_changed(os.path.join(folder, name), chunks)
        (result.written if changed else result.unchanged).append(name)
    return result


def _write_packages(folder, base, now):
    """Write the release and record packages in one pass over the releases; returns the release
    package's head and whether each file changed. Raises _Moved (both files left as they were)
    when the releases did not end up with the publishedDate read before them."""
    latest = latest_release_date()
    # With nothing public the package's date is the run's: keep the last run's, so that a run
    # that changes nothing changes no file.
    published = latest or _previous_published_date(folder) or published_date(now)
    head = package_head(published)
    record_head = record_package_head(head, uri=f"{base}/record-package.json")
    releases, records = JsonList(head, "releases"), JsonList(record_head, "records")
    seen = None
    with ReplacingFile(os.path.join(folder, "release-package.json")) as release_file, \
            ReplacingFile(os.path.join(folder, "record-package.json")) as record_file:
        # One release per contract, so one record per release (its only release). Each
        # release's members are encoded once: the compiled release shares all but its first
        # four with the release (records.compiled_release), and their text is reused there.
        newline = JsonList.ITEM_NEWLINE
        for release in iter_releases():
            members = member_texts(release, newline)
            release_file.write(releases.item_text(object_text(members, newline)))
            record_file.write(records.item_text(_record_text(release, members, head["uri"], newline)))
            seen = release["date"] if seen is None else max(seen, release["date"])
        if seen != latest:
            raise _Moved()
        release_file.write(releases.end())
        record_file.write(records.end())
    return head, (release_file.changed, record_file.changed)


def _record_text(release, members, package_uri, newline):
    """``indented_json(record(ocid, [release], package_uri), newline)``, reusing ``members``
    (``member_texts(release, newline)``) for what the compiled release shares with the release:
    the same text one level deeper (JSON text has no newline but its indentation's)."""
    entry = record(release["ocid"], [release], package_uri)
    inner = newline + "  "
    compiled = {}
    for key, value in entry["compiledRelease"].items():
        shared = key in release and release[key] is value
        compiled[key] = members[key].replace("\n", "\n  ") if shared else indented_json(value, inner + "  ")
    texts = {key: indented_json(value, inner) for key, value in entry.items() if key != "compiledRelease"}
    texts["compiledRelease"] = object_text(compiled, inner)
    return object_text({key: texts[key] for key in entry}, newline)


def _previous_published_date(folder):
    path = os.path.join(folder, "release-package.json")
    try:
        if os.path.getsize(path) > _EMPTY_PACKAGE_BYTES:
            return None
        with open(path, encoding="utf-8") as file:
            previous = json.load(file)
    except (OSError, ValueError):
        return None
    return previous.get("publishedDate") if not previous.get("releases") else None
