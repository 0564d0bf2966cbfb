"""Pushing the published files to the city's open-data portals, after each publication:
a CKAN portal (its action API, through ckanapi) and Socrata (the SODA API, through sodapy), each
only when its settings are given (README "Pushing to CKAN and Socrata").

- **CKAN**: one dataset per entry of publish.run.DATASETS, named CKAN_DATASET_PREFIX + its key
  ("rdc-contracts"), in CKAN_OWNER_ORG. A missing dataset is created (title, notes, licence,
  contact, tags); an existing one has its metadata patched when it differs. Each of its files is
  a resource named by the file ("contracts.csv"), uploaded (resource_create, or resource_patch
  of the resource of that name) when its content differs from what was last pushed.
- **Socrata**: each CSV named in SOCRATA_DATASETS replaces the rows of an existing dataset, when
  it differs from what was last pushed. Sent in batches of SOCRATA_BATCH_ROWS rows: the first
  batch with a replace (PUT /resource/<id>, which drops every row the dataset had), the others
  with an upsert (POST, which adds rows, or updates the row with the same row identifier when
  the dataset has one: either way each row is there once). A replace of the whole file in one
  request would be one body of the file's size (readings.csv runs to hundreds of thousands of
  rows), which Socrata times out or refuses. The cost: from the first batch to the last the
  dataset holds part of the rows, and a push that fails half way leaves it so until the next
  run, which starts again with a replace. Socrata's revision API (DSMAPI) would swap the rows at
  once, but needs a staged upload that sodapy does not offer.

What was last pushed where is kept in the database (PortalPush: per portal, dataset and file,
the SHA-256 of the content last pushed successfully, when, and the last attempt's error), rather
than in a state file beside the published files: the state describes the portal, not a folder
(``flask publish --dir`` writes elsewhere and pushes to the same portal), the web workers read it
for the operations page wherever the scheduler runs, and an upsert makes two concurrent pushes
(the nightly job and a ``flask publish``) safe without a file lock.

A portal that is down or refuses (an HTTP error, a bad key) is logged and recorded against the
items it did not take; the publication stays as it is, the other portal still gets its push, and
the next run sends again whatever was not pushed, since its digest still differs.
"""
import csv
import hashlib
import io
import ipaddress
import json
import logging
import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from ckanapi import RemoteCKAN
from ckanapi.errors import CKANAPIError, NotAuthorized, NotFound, ServerIncompatibleError, ValidationError
from flask import current_app
from sodapy import Socrata
from sqlalchemy import select

from contracts_app.db_utils import dialect_insert
from contracts_app.extensions import db
from contracts_app.publish.catalog import KEYWORDS, contact_email
from contracts_app.publish.files import CHUNK
from contracts_app.publish.models import PortalPush
from contracts_app.publish.run import DATASETS, FILES

log = logging.getLogger("publish.push")

CKAN_NAME = re.compile(r"[a-z0-9_-]*")
SOCRATA_ID = re.compile(r"[a-z0-9]{4}-[a-z0-9]{4}")
CKAN_SETTINGS = ("CKAN_URL", "CKAN_API_KEY", "CKAN_OWNER_ORG")
SOCRATA_SETTINGS = ("SOCRATA_DOMAIN", "SOCRATA_APP_TOKEN", "SOCRATA_USERNAME", "SOCRATA_PASSWORD", "SOCRATA_DATASETS")
# CKAN's own licence ids (ckan/model/license.py) for the licence URLs OCDS_LICENSE usually holds.
CKAN_LICENCES = (
    ("creativecommons.org/publicdomain/zero/", "cc-zero"),
    ("creativecommons.org/licenses/by-sa/", "cc-by-sa"),
    ("creativecommons.org/licenses/by/", "cc-by"),
    ("opendatacommons.org/licenses/odbl", "odc-odbl"),
    ("opendatacommons.org/licenses/pddl", "odc-pddl"),
    ("opendatacommons.org/licenses/by", "odc-by"),
)


# --- settings ---------------------------------------------------------------------------------

def published_csv_files():
    return [name for name in FILES if name.endswith(".csv")]


def parse_socrata_datasets(value):
    """``"contracts.csv=abcd-1234,readings.csv=wxyz-5678"`` as {file: dataset id}; ValueError
    with the reason when a pair is malformed, names a file that is not a published CSV, or
    repeats a file or a dataset."""
    mapping = {}
    csvs = published_csv_files()
    for pair in (value or "").split(","):
        if not pair.strip():
            continue
        file, equals, dataset = (part.strip() for part in pair.partition("="))
        if not equals or not file or not dataset:
            raise ValueError(f"SOCRATA_DATASETS: {pair.strip()!r} is not file=dataset-id (e.g. contracts.csv=abcd-1234).")
        if file not in csvs:
            raise ValueError(f"SOCRATA_DATASETS: {file!r} is not a published CSV file; use one of {', '.join(csvs)}.")
        if not SOCRATA_ID.fullmatch(dataset):
            raise ValueError(f"SOCRATA_DATASETS: {dataset!r} (for {file}) is not a Socrata dataset id, four and four "
                             f"lower-case letters or digits as in the dataset's address (e.g. abcd-1234).")
        if file in mapping:
            raise ValueError(f"SOCRATA_DATASETS: {file} is named twice.")
        if dataset in mapping.values():
            raise ValueError(f"SOCRATA_DATASETS: dataset {dataset} is named for two files; each would replace the other's rows.")
        mapping[file] = dataset
    return mapping


def ckan_configured(config):
    return bool(config.get("CKAN_URL"))


def socrata_configured(config):
    return bool(config.get("SOCRATA_DOMAIN"))


def portals_configured(config=None):
    config = config if config is not None else current_app.config
    return ckan_configured(config) or socrata_configured(config)


def ckan_licence_id(config):
    """CKAN_LICENSE_ID, else CKAN's id for OCDS_LICENSE's URL, else None."""
    if config.get("CKAN_LICENSE_ID"):
        return config["CKAN_LICENSE_ID"]
    url = (config.get("OCDS_LICENSE") or "").lower()
    return next((licence for fragment, licence in CKAN_LICENCES if fragment in url), None)


def _check_address(setting, value, *, bare_host=False):
    """An https:// address (or, for SOCRATA_DOMAIN, a bare host name, meaning https). Plain
    http:// only to this machine: the API key or password would cross the network in clear."""
    if bare_host and "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RuntimeError(f"{setting} must be the portal's https:// address, not {value!r}.")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise RuntimeError(f"{setting} must use https:// (the portal's credentials would be sent in clear over "
                           f"http://); plain http:// is accepted only for this machine (127.0.0.1, localhost).")
    if bare_host and parts.path.strip("/"):
        raise RuntimeError(f"{setting} is the portal's domain (e.g. data.city.gov), without a path: not {value!r}.")


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_settings(config):
    """Refuse to start with a portal half configured (create_app calls this); RuntimeError."""
    ckan = [name for name in CKAN_SETTINGS if config.get(name)]
    if ckan:
        missing = [name for name in CKAN_SETTINGS if name not in ckan]
        if missing:
            raise RuntimeError(f"Pushing to CKAN needs {', '.join(CKAN_SETTINGS)}: {', '.join(ckan)} "
                               f"{'is' if len(ckan) == 1 else 'are'} set but {' and '.join(missing)} not.")
        _check_address("CKAN_URL", config["CKAN_URL"])
        prefix = config.get("CKAN_DATASET_PREFIX") or ""
        longest = max(len(key) for key, *_ in DATASETS)
        if not CKAN_NAME.fullmatch(prefix) or len(prefix) + longest > 100:
            raise RuntimeError(f"CKAN_DATASET_PREFIX must be lower-case letters, digits, - or _ (a CKAN dataset name "
                               f"is at most 100 of them, the prefix then the dataset's key), not {prefix!r}.")
        if not ckan_licence_id(config):
            raise RuntimeError(f"CKAN_LICENSE_ID must be set to the id your CKAN portal gives the licence "
                               f"{config.get('OCDS_LICENSE') or '(OCDS_LICENSE is empty)'} (e.g. other-open): "
                               f"it is not one of the licences the push knows.")
    socrata = [name for name in SOCRATA_SETTINGS if config.get(name)]
    if socrata:
        missing = [name for name in SOCRATA_SETTINGS if name not in socrata]
        if missing:
            raise RuntimeError(f"Pushing to Socrata needs {', '.join(SOCRATA_SETTINGS)}: {', '.join(socrata)} "
                               f"{'is' if len(socrata) == 1 else 'are'} set but {' and '.join(missing)} not.")
        _check_address("SOCRATA_DOMAIN", config["SOCRATA_DOMAIN"], bare_host=True)
        try:
            mapping = parse_socrata_datasets(config["SOCRATA_DATASETS"])
        except ValueError as error:
            raise RuntimeError(str(error))
        if not mapping:
            raise RuntimeError("SOCRATA_DATASETS names no file=dataset-id pair: nothing would be pushed to Socrata.")
    for name in ("SOCRATA_BATCH_ROWS", "PUSH_TIMEOUT_SECONDS"):
        value = config.get(name, 1)
        if not isinstance(value, int) or value < 1:
            raise RuntimeError(f"{name} must be a whole number of at least 1, not {value!r}.")


# --- the outcome ------------------------------------------------------------------------------

@dataclass
class PortalOutcome:
    """One portal's push: the items (``dataset/file``) sent, those left as they were, and those
    not pushed with the reason."""
    portal: str
    address: str
    pushed: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)

    def summary(self):
        text = f"{self.portal}: pushed {', '.join(self.pushed) or 'nothing'}, {len(self.unchanged)} unchanged"
        if self.failed:
            reasons = list(dict.fromkeys(self.failed.values()))
            text += f"; not pushed {', '.join(self.failed)}: {' / '.join(reasons)}"
        return text

    def as_dict(self):
        return {"portal": self.portal, "address": self.address, "pushed": self.pushed,
                "unchanged": self.unchanged, "failed": self.failed}


@dataclass
class PushOutcome:
    portals: list = field(default_factory=list)

    @property
    def failed(self):
        return any(portal.failed for portal in self.portals)

    def summary(self):
        return "; ".join(portal.summary() for portal in self.portals) or "no portal configured"

    def as_dict(self):
        return {portal.portal: portal.as_dict() for portal in self.portals}


class PushFailed(Exception):
    """Raised by the scheduler's push job after a push in which some item failed, so that the
    job's heartbeat records the failure (the push itself never raises for a portal's error)."""

    def __init__(self, outcome):
        super().__init__(" | ".join(portal.summary() for portal in outcome.portals if portal.failed))
        self.outcome = outcome


class PortalError(Exception):
    """A portal's refusal or failure, worded for an operator. ``whole_portal``: it would fail the
    same for every other item too (unreachable, a bad key, a server error), so the push to this
    portal stops there."""

    def __init__(self, message, whole_portal=False):
        super().__init__(message)
        self.whole_portal = whole_portal


# --- the push ---------------------------------------------------------------------------------

def push_published(folder, now):
    """Push the files in ``folder`` (as just published) to every configured portal; returns a
    PushOutcome. Portals' errors are caught, recorded in PortalPush and reported in the outcome;
    each item's state is committed as it is pushed, so a crash keeps what was done."""
    config = current_app.config
    outcome = PushOutcome()
    for configured, push in ((ckan_configured, _push_ckan), (socrata_configured, _push_socrata)):
        if configured(config):
            result = push(config, folder, now)
            outcome.portals.append(result)
            (log.warning if result.failed else log.info)("push %s", result.summary())
    return outcome


def _pushed_digests(portal, address):
    """{(target, file): PortalPush} for one portal: one query."""
    rows = db.session.scalars(select(PortalPush).where(PortalPush.portal == portal, PortalPush.address == address))
    return {(row.target, row.file): row for row in rows}


def _record(portal, address, target, file, now, sha256=None, error=None):
    """Upsert one item's state and commit: a success sets its digest and time and clears the
    error; a failure keeps the digest of the last success, so the item is retried."""
    table = PortalPush.__table__
    values = dict(portal=portal, address=address, target=target, file=file, attempted_at=now, error=error)
    if error is None:
        values.update(sha256=sha256, pushed_at=now)
    statement = dialect_insert(table).values(**values)
    update = {key: statement.excluded[key] for key in values if key not in ("portal", "address", "target", "file")}
    statement = statement.on_conflict_do_update(index_elements=["portal", "address", "target", "file"], set_=update)
    db.session.execute(statement)
    db.session.commit()


def _digest_of(path):
    """The SHA-256 of a published file, or None when there is none."""
    try:
        with open(path, "rb") as file:
            return _hash(file)
    except FileNotFoundError:
        return None


def _hash(file):
    digest = hashlib.sha256()
    for block in iter(lambda: file.read(CHUNK), b""):
        digest.update(block)
    file.seek(0)
    return digest.hexdigest()


def _fail_all(outcome, pending, portal, address, now, error):
    """Record ``error`` against every (target, file, label) in ``pending``."""
    for target, file, label in pending:
        outcome.failed[label] = str(error)
        _record(portal, address, target, file, now, error=str(error))


# --- CKAN -------------------------------------------------------------------------------------

class _CKAN(RemoteCKAN):
    """RemoteCKAN that keeps the last HTTP status (ckanapi puts it only in an error's repr)."""

    last_status = None

    def _request_fn(self, url, data, headers, files, requests_kwargs):
        self.last_status = None
        status, text = super()._request_fn(url, data, headers, files, requests_kwargs)
        self.last_status = status
        return status, text


def ckan_dataset_name(config, key):
    return (config.get("CKAN_DATASET_PREFIX") or "") + key


def ckan_metadata(config, title, description):
    """The dataset's fields as CKAN's package_create takes them (owner_org aside)."""
    city = config["CITY_NAME"]
    return {
        "title": f"{city}: {title}",
        "notes": description,
        "license_id": ckan_licence_id(config),
        "maintainer": config.get("OPEN_DATA_CONTACT_NAME") or f"{city} open data",
        "maintainer_email": contact_email(config),
        "url": config["APP_BASE_URL"].rstrip("/") + "/public/data",
        "tags": [{"name": keyword} for keyword in KEYWORDS],
    }


def _metadata_differs(package, metadata):
    for name, value in metadata.items():
        if name == "tags":
            if sorted(tag["name"] for tag in package.get("tags") or []) != sorted(tag["name"] for tag in value):
                return True
        elif (package.get(name) or None) != (value or None):
            return True
    return False


def _ckan_call(client, action, data, what, files=None):
    """One action, its errors turned into PortalError."""
    timeout = current_app.config.get("PUSH_TIMEOUT_SECONDS", 120)
    try:
        return client.call_action(action, data, files=files, requests_kwargs={"timeout": timeout})
    except NotFound:
        raise
    except NotAuthorized as error:
        raise PortalError(f"CKAN at {client.address} refused {action} for {what}: the API key (CKAN_API_KEY) is not "
                          f"accepted, or its user may not edit datasets of CKAN_OWNER_ORG ({_ckan_message(error)})",
                          whole_portal=True)
    except ValidationError as error:
        raise PortalError(f"CKAN at {client.address} refused {action} for {what}: {error.error_dict}")
    except (CKANAPIError, ServerIncompatibleError):
        # An answer that is not the action API's JSON: a proxy's error page, a server error.
        status = client.last_status
        if status in (401, 403):
            raise PortalError(f"CKAN at {client.address} refused {action} for {what} (HTTP {status}): check "
                              f"CKAN_API_KEY", whole_portal=True)
        if status is not None and status >= 500:
            raise PortalError(f"CKAN at {client.address} failed: HTTP {status} to {action} for {what}",
                              whole_portal=True)
        raise PortalError(f"CKAN at {client.address} answered {action} for {what} with HTTP {status}, not as the "
                          f"CKAN action API does (is CKAN_URL the portal's address?)", whole_portal=status is None)
    except requests.RequestException as error:
        raise PortalError(f"could not reach CKAN at {client.address} ({type(error).__name__}: {error})",
                          whole_portal=True)


def _ckan_message(error):
    detail = error.extra_msg if isinstance(error.extra_msg, dict) else {}
    return detail.get("message") or str(error)


def _push_ckan(config, folder, now):
    address = config["CKAN_URL"].rstrip("/")
    outcome = PortalOutcome("CKAN", address)
    pushed = _pushed_digests("ckan", address)
    plan = []
    for key, title, description, names in DATASETS:
        name = ckan_dataset_name(config, key)
        metadata = ckan_metadata(config, title, description)
        metadata_digest = hashlib.sha256(json.dumps(metadata, sort_keys=True).encode()).hexdigest()
        files = []
        for file in names:
            label = f"{name}/{file}"
            digest = _digest_of(os.path.join(folder, file))
            if digest is None:
                outcome.failed[label] = f"{file} is not in {folder}: publish first"
            elif getattr(pushed.get((name, file)), "sha256", None) == digest:
                outcome.unchanged.append(label)
            else:
                files.append((file, label))
        metadata_changed = getattr(pushed.get((name, "")), "sha256", None) != metadata_digest
        if metadata_changed or files:
            plan.append((name, metadata, metadata_digest, metadata_changed, files))
        else:
            outcome.unchanged.append(name)

    client = _CKAN(address, apikey=config["CKAN_API_KEY"], user_agent=f"RDC Tracker ({config['CITY_NAME']})")
    done = set()  # the items recorded as pushed in this run
    with client:
        for index, (name, metadata, metadata_digest, metadata_changed, files) in enumerate(plan):
            try:
                _push_ckan_dataset(client, config, folder, now, outcome, done, name, metadata, metadata_digest, files)
            except PortalError as error:
                log.warning("push CKAN: %s", error)
                pending = [] if name in done else [(name, "", name)]
                pending += [(name, file, label) for file, label in files if label not in done]
                if error.whole_portal:
                    for later_name, _, _, later_changed, later_files in plan[index + 1:]:
                        pending += [(later_name, "", later_name)] if later_changed else []
                        pending += [(later_name, file, label) for file, label in later_files]
                _fail_all(outcome, pending, "ckan", address, now, error)
                if error.whole_portal:
                    break
    return outcome


def _push_ckan_dataset(client, config, folder, now, outcome, done, name, metadata, metadata_digest, files):
    """Create the dataset, or patch its metadata when it differs; then upload ``files``."""
    what = f"dataset {name}"
    try:
        package = _ckan_call(client, "package_show", {"id": name}, what)
    except NotFound:
        package = _ckan_call(client, "package_create", {"name": name, "owner_org": config["CKAN_OWNER_ORG"], **metadata},
                             what)
        outcome.pushed.append(name)
    else:
        if _metadata_differs(package, metadata):
            package = _ckan_call(client, "package_patch", {"id": package["id"], **metadata}, what)
            outcome.pushed.append(name)
    _record("ckan", client.address, name, "", now, sha256=metadata_digest)
    done.add(name)
    resources = {resource.get("name"): resource for resource in package.get("resources") or []}
    for file, label in files:
        media_type, fmt, _title, description = FILES[file]
        with open(os.path.join(folder, file), "rb") as handle:
            # The digest recorded is that of the bytes sent, even if a publication renames a
            # newer file over this one meanwhile (the open handle keeps reading the old one).
            digest = _hash(handle)
            upload = {"upload": (file, handle, media_type)}
            if file in resources:
                _ckan_call(client, "resource_patch", {"id": resources[file]["id"]}, f"{label}", files=upload)
            else:
                _ckan_call(client, "resource_create", {"package_id": package["id"], "name": file, "format": fmt,
                                                       "mimetype": media_type, "description": description},
                           f"{label}", files=upload)
        _record("ckan", client.address, name, file, now, sha256=digest)
        done.add(label)
        outcome.pushed.append(label)


# --- Socrata ----------------------------------------------------------------------------------

def _socrata_client(config):
    """A sodapy client for SOCRATA_DOMAIN: a bare domain or an https:// address (sodapy speaks
    https only, unless given an adapter for another prefix: used for a plain http:// address on
    this machine, which check_settings allows)."""
    domain = config["SOCRATA_DOMAIN"].strip().rstrip("/")
    options = {}
    if "://" in domain:
        scheme, _, domain = domain.partition("://")
        if scheme == "http":
            options["session_adapter"] = {"prefix": "http://", "adapter": requests.adapters.HTTPAdapter()}
    return Socrata(domain, config["SOCRATA_APP_TOKEN"], username=config["SOCRATA_USERNAME"],
                   password=config["SOCRATA_PASSWORD"], timeout=config.get("PUSH_TIMEOUT_SECONDS", 120), **options)


def _csv_batches(handle, size):
    """The CSV in ``handle`` (bytes, with or without a BOM) as CSV bodies of at most ``size``
    rows, each with the header: at least one, so an empty table empties the dataset."""
    reader = csv.reader(io.TextIOWrapper(handle, encoding="utf-8-sig", newline=""))
    header = next(reader, None)
    if header is None:
        raise PortalError("the file is empty (no header row)")
    batch = []
    sent = False
    for row in reader:
        batch.append(row)
        if len(batch) == size:
            yield _csv_body(header, batch)
            sent, batch = True, []
    if batch or not sent:
        yield _csv_body(header, batch)


def _csv_body(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return io.BytesIO(buffer.getvalue().encode("utf-8"))


def _socrata_error(error, address, dataset, file):
    if isinstance(error, requests.HTTPError) and error.response is not None:
        status = error.response.status_code
        if status in (401, 403):
            return PortalError(f"Socrata at {address} refused the push of {file} to {dataset} (HTTP {status}): check "
                               f"SOCRATA_USERNAME, SOCRATA_PASSWORD and SOCRATA_APP_TOKEN, and that the user may edit "
                               f"the dataset", whole_portal=status == 401)
        if status == 404:
            return PortalError(f"Socrata at {address} has no dataset {dataset} (SOCRATA_DATASETS, for {file})")
        if status >= 500:
            return PortalError(f"Socrata at {address} failed: HTTP {status} to the push of {file} to {dataset}",
                               whole_portal=True)
        return PortalError(f"Socrata at {address} refused the rows of {file} for {dataset}: {error}")
    return PortalError(f"could not reach Socrata at {address} ({type(error).__name__}: {error})", whole_portal=True)


def _check_socrata_answer(answer, address, dataset, file):
    """SODA answers 200 with a count of the rows it could not take ("Errors") rather than an
    HTTP error for bad rows: a push with any is a failure, not a success."""
    errors = answer.get("Errors", 0) if isinstance(answer, dict) else 0
    if errors:
        raise PortalError(f"Socrata at {address} refused {errors} rows of {file} for {dataset} (do the dataset's "
                          f"columns match the file's header?)")


def _push_socrata(config, folder, now):
    address = config["SOCRATA_DOMAIN"].strip().rstrip("/")
    outcome = PortalOutcome("Socrata", address)
    pushed = _pushed_digests("socrata", address)
    batch_rows = config.get("SOCRATA_BATCH_ROWS", 10000)
    plan = []
    for file, dataset in parse_socrata_datasets(config["SOCRATA_DATASETS"]).items():
        label = f"{dataset}/{file}"
        digest = _digest_of(os.path.join(folder, file))
        if digest is None:
            outcome.failed[label] = f"{file} is not in {folder}: publish first"
        elif getattr(pushed.get((dataset, file)), "sha256", None) == digest:
            outcome.unchanged.append(label)
        else:
            plan.append((dataset, file, label))

    if not plan:
        return outcome
    with _socrata_client(config) as client:
        for index, (dataset, file, label) in enumerate(plan):
            try:
                with open(os.path.join(folder, file), "rb") as handle:
                    digest = _hash(handle)
                    try:
                        for number, body in enumerate(_csv_batches(handle, batch_rows)):
                            # The first batch replaces every row; the rest are added (module docstring).
                            answer = (client.upsert if number else client.replace)(dataset, body)
                            _check_socrata_answer(answer, address, dataset, file)
                    except requests.RequestException as error:
                        raise _socrata_error(error, address, dataset, file)
            except PortalError as error:
                log.warning("push Socrata: %s", error)
                pending = plan[index:] if error.whole_portal else [plan[index]]
                _fail_all(outcome, pending, "socrata", address, now, error)
                if error.whole_portal:
                    break
                continue
            _record("socrata", address, dataset, file, now, sha256=digest)
            outcome.pushed.append(label)
    return outcome
