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
"""
import json
import os
from dataclasses import dataclass, field

from flask import current_app

from contracts_app.ocds.export import release_package
from contracts_app.ocds.records import record_package
from contracts_app.publish import catalog, tables
from contracts_app.publish.files import json_text, write_if_changed

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

    package = release_package(now=now)
    if not package["releases"]:
        # With nothing public the package's date is the run's: keep the last run's, so that a
        # run that changes nothing changes no file.
        package["publishedDate"] = _previous_published_date(folder) or package["publishedDate"]
    records = record_package(package, uri=f"{base}/record-package.json")
    files = [
        ("release-package.json", [json_text(package)]),
        ("record-package.json", [json_text(records)]),
        ("contracts.csv", tables.contracts_csv(prefix)),
        ("metrics.csv", tables.metrics_csv(prefix)),
        ("readings.csv", tables.readings_csv(prefix)),
    ]
    datasets = [
        (key, title, description, [(name, *FILES[name][:3]) for name in names])
        for key, title, description, names in DATASETS
    ]
    modified = package["publishedDate"][:10]
    files.append(("data.json", [json_text(catalog.catalog(config, datasets, modified))]))
    for name, chunks in files:
        changed = write_if_changed(os.path.join(folder, name), chunks)
        (result.written if changed else result.unchanged).append(name)
    return result


def _previous_published_date(folder):
    try:
        with open(os.path.join(folder, "release-package.json"), encoding="utf-8") as file:
            previous = json.load(file)
    except (OSError, ValueError):
        return None
    return previous.get("publishedDate") if not previous.get("releases") else None
