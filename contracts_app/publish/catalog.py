"""The ``data.json`` catalogue in the DCAT-US (Project Open Data 1.1) format that city open-data
portals (Socrata, CKAN's harvester, data.gov) read to list a publisher's datasets.

The non-federal form: bureauCode and programCode, required of US federal agencies only, are left
out (the schema's "USG" note). Every value comes from the settings and the published data, never
from the clock, so an unchanged city gives a byte-identical catalogue.
"""
import re
from email.utils import parseaddr

SCHEMA_URI = "https://project-open-data.cio.gov/v1.1/schema"
CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
DESCRIBED_BY = "https://project-open-data.cio.gov/v1.1/schema/catalog.json"
OCDS_URI = "https://standard.open-contracting.org/1.1/en/"
# Every dataset's keywords (also the tags of its copy on a CKAN portal, publish/push.py).
KEYWORDS = ("contracts", "procurement", "performance", "results-driven contracting", "open contracting")
# What the schema accepts in contactPoint.hasEmail (after "mailto:"): a domain with a dot.
EMAIL = re.compile(r"[\w_~!$&'()*+,;=:.-]+@[\w.-]+\.[\w.-]+")


class CatalogError(Exception):
    """A setting the catalogue cannot be published without."""


def contact_email(config):
    # MAIL_DEFAULT_SENDER may carry a display name: "RDC Tracker <rdc-tracker@city.gov>".
    address = parseaddr(config.get("OPEN_DATA_CONTACT_EMAIL") or config.get("MAIL_DEFAULT_SENDER") or "")[1].strip()
    if not EMAIL.fullmatch(address):
        raise CatalogError(
            f"data.json needs a contact mailbox for the open data: set OPEN_DATA_CONTACT_EMAIL "
            f"(now {address or 'empty'!s}, which is not an address a resident could write to)."
        )
    return address


def catalog(config, datasets, modified):
    """The catalogue of ``datasets`` [(key, title, description, [(file, media type, format,
    title)])], each last modified on ``modified`` (an ISO date)."""
    base = config["APP_BASE_URL"].rstrip("/") + "/public/data"
    city = config["CITY_NAME"]
    publisher = {"@type": "org:Organization", "name": config["OCDS_PUBLISHER_NAME"]}
    contact = {
        "@type": "vcard:Contact",
        "fn": config["OPEN_DATA_CONTACT_NAME"] or f"{city} open data",
        "hasEmail": "mailto:" + contact_email(config),
    }
    entries = []
    for key, title, description, files in datasets:
        entry = {
            "@type": "dcat:Dataset",
            "title": f"{city}: {title}",
            "description": description,
            "keyword": list(KEYWORDS),
            "modified": modified,
            "publisher": publisher,
            "contactPoint": contact,
            "identifier": f"{base}#{key}",
            "accessLevel": "public",
            "license": config["OCDS_LICENSE"] or None,
            "spatial": city,
            "accrualPeriodicity": "R/P1D",
            "landingPage": base,
            "language": ["en-US"],
            "distribution": [
                {
                    "@type": "dcat:Distribution",
                    "downloadURL": f"{base}/{name}",
                    "mediaType": media_type,
                    "format": fmt,
                    "title": file_title,
                    **({"conformsTo": OCDS_URI} if name.endswith("-package.json") else {}),
                }
                for name, media_type, fmt, file_title in files
            ],
        }
        entries.append({k: v for k, v in entry.items() if v is not None})
    return {
        "@context": CONTEXT,
        "@id": f"{base}/data.json",
        "@type": "dcat:Catalog",
        "conformsTo": SCHEMA_URI,
        "describedBy": DESCRIBED_BY,
        "dataset": entries,
    }
