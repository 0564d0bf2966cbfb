"""The OCDS 1.1 release package (with the Metrics extension) of the contracts marked public.

``release_package(now=None)`` returns the package as a dict, ready for ``json.dumps``; the
nightly publication writes the same package streaming, from ``package_head(published_date())``
and ``iter_releases()``, so that memory does not grow with the city. Releases are built a batch
of contracts at a time, with a fixed number of queries per batch (one per table read, grouped in
Python), and the package is deterministic: the same data gives the same package, byte for byte.

How the tracker maps onto OCDS (see also the README):

- One contracting process per public contract: ``ocid`` = ``OCDS_OCID_PREFIX`` + "-" + the
  contract's database id (the reference can be edited; the id never changes). Non-public
  contracts are left out entirely.
- One release per contract, describing its current state. Its ``id`` is the ocid plus a hash of
  the release's content, so it stays the same while nothing published changes and is new after
  any change; its ``date`` is the last time something published about the contract changed
  (from the audit log, readings, milestones, the vendor and the priorities), so that merging
  successive exports orders the releases correctly.
- ``publishedDate`` is the latest release date (OCDS: a package generated on demand carries the
  date of the last change to its contents), or ``now`` when there is no release.
- Contract status: draft -> pending, active -> active, completed and terminated -> terminated
  (OCDS "terminated" covers a contract that came to a close, completed or ended early).
- Archived public contracts stay in the package, so that a portal that already holds them
  learns they were withdrawn. OCDS "cancelled" means cancelled before signature: an archived
  draft is published as ``cancelled`` (its award too); an archived contract that was signed
  (active, completed or terminated) is ``terminated``, its award staying ``active``. Either way
  the description says when it was withdrawn from the tracker.
- A contract made non-public leaves the package with no final release: the switch exists for
  contracts that should not have been published (confidential terms, a data-entry mistake), and
  a release that kept its ocid, title and dates would keep publishing what was withdrawn.
  Portals that harvested it earlier keep their copy; the city removes it there by hand.
- Buyer: the department, named "<CITY_NAME>, <department>", party id "dept-<department id>" (a
  stable id: renaming the department keeps it the same buyer), role buyer.
  Supplier: the vendor, party id "vendor-<id>", role supplier, with its identifier (the
  org-id.guide scheme and id, its name as legalName) and the organisation's address when they
  are recorded; never its contact (a person's name and email). One award per contract
  (``contracts[].awardID`` is required) carries the supplier, with the award date; the contract
  carries ``dateSigned``.
- ``planning.rationale``: the problem and desired outcomes. The priorities: the additional
  classifications (scheme ``X-RDC-PRIORITY``, id = priority id) of the contract's one item.
  Kind, reference, department and payment structure and terms: the contract description.
- Milestones: ``contracts[].implementation.milestones`` (ids = milestone ids; their type from the
  milestoneType codelist; due date at the end of the due day, dateMet at the start of the
  completion day in CITY_TIMEZONE, only once met (a partially met milestone has no dateMet),
  dateModified the last change).
- Metrics: ``contracts[].agreedMetrics`` hold, per metric, the baseline (observationType
  baseline) and the targets (observationType target): the final target on the term's last day
  (increase, decrease), held over the whole term (maintain; range as low and high bounds), and
  each explicit per-period target. ``contracts[].implementation.metrics`` hold the readings,
  one observation per reporting period, followed, for a count reported by group, by one
  observation per group with ``dimensions`` naming it ({"Council district": "District 7"});
  groups below PUBLIC_MIN_GROUP_COUNT are left out, as on the public pages, and a rate's groups
  are not published. Units: UN/CEFACT codes where one fits, else the name.
  Reading notes are internal working notes and are not published; nor is a metric switched
  off as not public (``Metric.is_public``), with its targets and readings.
- Payments: ``contracts[].implementation.transactions`` hold each approved payment statement's
  amount payable (the latest approved revision of each billing period; drafts are internal):
  id = the statement number and revision, date = its approval, value = its total in the
  contract's currency, payer = the buyer (the department), payee = the supplier.
- Tender: how the vendor was chosen, when recorded: ``tender.procurementMethod`` (the closed
  method codelist: open, selective, limited, direct), ``procurementMethodDetails`` in the city's
  words and ``numberOfTenderers`` (bids received); tender id = ocid + "-tender".
- Supplier party ``details``: the vendor's business status, when the city recorded one:
  ``scale`` "sme" for a small business (the partyScale codelist's value), and ``classifications``
  (scheme ``X-RDC-BUSINESS-STATUS``: local, diverse), as the partyDetails extensions shape them.
- Amendments: ``contracts[].amendments`` (id "amendment-<id>", date at the start of the amendment
  day, rationale = its reason, description = what changed). One release per contract describes
  its current state, so there are no amendsReleaseID/releaseID to point at.
- Payments made (contracts_app.spend) are not published as transactions: the approved
  statements are, and the same money twice would mislead anyone adding the transactions up.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import datetime, time, timezone
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import DateTime, func, select, type_coerce

from contracts_app.audit.models import AuditEvent
from contracts_app.amendments.models import Amendment
from contracts_app.contracts.models import Contract, Vendor
from contracts_app.milestones.models import Milestone
from contracts_app.dimensions.models import Dimension, DimensionGroup, ReadingGroupValue
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, MetricTarget, Reading
from contracts_app.priorities.models import Priority, contract_priorities
from contracts_app.payments.inputs import latest_approved
from contracts_app.payments.models import PaymentStatement

OCDS_VERSION = "1.1"
METRICS_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_metrics_extension/1.1/extension.json"
)
# Where the nightly publication serves the package to anyone (the package's ``uri``, under
# APP_BASE_URL, unless OCDS_PACKAGE_URI names another public address); the JSON API serves the
# same package on request, behind a token.
PACKAGE_PATH = "/public/data/release-package.json"
PRIORITY_SCHEME = "X-RDC-PRIORITY"
# Contracts per batch when the releases are built (OCDS_BATCH_SIZE): at 25 readings a metric and
# four metrics a contract, 250 contracts are about 25,000 observations in memory at a time.
BATCH_SIZE = 250

CONTRACT_STATUS = {"draft": "pending", "active": "active", "completed": "terminated", "terminated": "terminated"}
AWARD_STATUS = {"draft": "pending", "active": "active", "completed": "active", "terminated": "active"}
MILESTONE_STATUS = {"scheduled": "scheduled", "met": "met", "partially_met": "partiallyMet", "not_met": "notMet"}

# UN/CEFACT Recommendation 20 common codes for the units a tracker's metrics use; any other
# unit ("people", "households", "score (1-5)") is published by name alone.
_UNCEFACT = {
    "P1": ("percent", "%", "pct", "percentage"),
    "C62": ("count", "number", "#", "one"),
    "DAY": ("day", "days"),
    "HUR": ("hour", "hours"),
    "MIN": ("minute", "minutes"),
    "WEE": ("week", "weeks"),
    "MON": ("month", "months"),
    "ANN": ("year", "years"),
    "SMI": ("mile", "miles"),
    "HM": ("mph", "miles per hour"),
    "FTK": ("sq ft", "square feet", "square foot"),
    "KWH": ("kwh",),
    "MWH": ("mwh",),
}
UNIT_CODES = {name: code for code, names in _UNCEFACT.items() for name in names}

# Audit events whose subject is published: a change to any of these changes the release date.
_PUBLISHED_ENTITIES = ("contract", "metric", "reading", "milestone", "amendment")
BUSINESS_STATUS_SCHEME = "X-RDC-BUSINESS-STATUS"
PROCUREMENT_METHODS = ("open", "selective", "limited", "direct")


def release_package(now=None) -> dict:
    """The OCDS release package of every public contract (see the module docstring), as a dict.
    The nightly publication writes the same package streaming (``package_head``,
    ``iter_releases``); this holds every release in memory, for the JSON API."""
    releases = list(iter_releases())
    published = max((r["date"] for r in releases), default=None) or _timestamp(now or utcnow())
    return {**package_head(published), "releases": releases}


def package_head(published):
    """The release package without its releases (which come last), dated ``published``."""
    config = current_app.config
    return _drop_empty({
        "uri": package_uri(config),
        "version": OCDS_VERSION,
        "extensions": [METRICS_EXTENSION],
        "publishedDate": published,
        "publisher": _drop_empty({
            "name": config["OCDS_PUBLISHER_NAME"],
            "scheme": config.get("OCDS_PUBLISHER_SCHEME"),
            "uid": config.get("OCDS_PUBLISHER_UID"),
            "uri": config["OCDS_PUBLISHER_URI"],
        }),
        "license": config["OCDS_LICENSE"] or None,
        "publicationPolicy": config.get("OCDS_PUBLICATION_POLICY_URL") or None,
    })


def package_uri(config=None):
    config = config or current_app.config
    return config.get("OCDS_PACKAGE_URI") or config["APP_BASE_URL"].rstrip("/") + PACKAGE_PATH


def published_date(now=None):
    """The package's publishedDate without building a release (``latest_release_date``), or
    ``now`` when no contract is public."""
    return latest_release_date() or _timestamp(now or utcnow())


def latest_release_date():
    """The latest of every release's date as the releases would carry it, or None when no
    contract is public: the same sources as ``_load_batch``, each one maximum over all public
    contracts, in one statement."""
    public = Contract.is_public.is_(True)
    public_metric = (public, Metric.is_public.is_(True))
    latest = [
        select(func.max(Contract.created_at)).where(public),
        select(func.max(Contract.archived_at)).where(public),
        select(func.max(Priority.updated_at))
        .join(contract_priorities, contract_priorities.c.priority_id == Priority.id)
        .join(Contract, Contract.id == contract_priorities.c.contract_id).where(public),
        select(func.max(Metric.created_at)).join(Contract, Contract.id == Metric.contract_id).where(*public_metric),
        select(func.max(Reading.recorded_at)).join(Metric, Metric.id == Reading.metric_id)
        .join(Contract, Contract.id == Metric.contract_id).where(*public_metric),
        select(func.max(Milestone.updated_at)).join(Contract, Contract.id == Milestone.contract_id).where(public),
        select(func.max(Amendment.created_at)).join(Contract, Contract.id == Amendment.contract_id).where(public),
        select(func.max(AuditEvent.created_at)).join(Contract, Contract.id == AuditEvent.contract_id)
        .where(public, AuditEvent.entity_type.in_(_PUBLISHED_ENTITIES)),
        select(func.max(Vendor.created_at)).where(Vendor.id.in_(select(Contract.vendor_id).where(public))),
        select(func.max(PaymentStatement.approved_at)).join(Contract, Contract.id == PaymentStatement.contract_id)
        .where(public, PaymentStatement.status == "approved"),
        select(func.max(AuditEvent.created_at)).where(
            AuditEvent.entity_type == "vendor", AuditEvent.entity_id.in_(select(Contract.vendor_id).where(public))),
    ]
    row = db.session.execute(select(*(query.scalar_subquery() for query in latest))).one()
    dates = [_aware(value) for value in row if value is not None]
    return _timestamp(max(dates)) if dates else None


def iter_releases(batch_size=None):
    """Every public contract's release, in id order, built a batch of contracts at a time
    (``OCDS_BATCH_SIZE``, a fixed number of queries per batch), so that memory holds one batch
    whatever the number of contracts."""
    config = current_app.config
    batch_size = batch_size or config.get("OCDS_BATCH_SIZE") or BATCH_SIZE
    last = 0
    while True:
        # Keyset pagination: each batch starts after the last id of the one before.
        rows = db.session.execute(
            select(Contract, Vendor).join(Vendor, Vendor.id == Contract.vendor_id)
            .where(Contract.is_public.is_(True), Contract.id > last)
            .order_by(Contract.id).limit(batch_size)
        ).all()
        if not rows:
            return
        for contract, data in _load_batch(rows, last):
            yield _release(contract, data, config)
        if len(rows) < batch_size:
            return
        last = rows[-1][0].id


def contract_release(contract_id):
    """One public contract's release (the same as in the package), or None when the contract is
    not public: the batch queries for a range of one id."""
    rows = db.session.execute(
        select(Contract, Vendor).join(Vendor, Vendor.id == Contract.vendor_id)
        .where(Contract.is_public.is_(True), Contract.id == contract_id)
    ).all()
    if not rows:
        return None
    [(contract, data)] = _load_batch(rows, contract_id - 1)
    return _release(contract, data, current_app.config)


# --- reading the database: a fixed number of queries per batch of contracts --------------


class _ContractData:
    """What one contract's release is built from (filled in by ``_load_batch``)."""

    def __init__(self, vendor):
        self.vendor = vendor
        self.priorities = []
        self.metrics = []
        self.targets = defaultdict(list)  # metric id -> [(period_start, value)]
        self.readings = defaultdict(list)  # metric id -> [(start, end, value)]
        # (metric id, period start) -> [(group id, dimension name, group name, value)]: counts only,
        # groups below PUBLIC_MIN_GROUP_COUNT left out (as on the public pages)
        self.groups = defaultdict(list)
        self.milestones = []
        self.transactions = []  # approved statements: (number, revision, approved_at, total, currency)
        self.amendments = []
        self.changed = []  # timestamps of published changes


def _load_batch(rows, after):
    """[(contract, _ContractData)] for the public contracts ``rows`` [(contract, vendor)] in id
    order, the first of them after the id ``after``: each table read once for the id range."""
    first, last = after, rows[-1][0].id
    public = Contract.is_public.is_(True)

    def in_batch(column):
        # The batch's id range, public contracts only (the range may hold non-public ones).
        return (column > first, column <= last, public)

    data = {contract.id: _ContractData(vendor) for contract, vendor in rows}
    for contract, _vendor in rows:
        data[contract.id].changed += [contract.created_at, contract.archived_at]

    for contract_id, priority in db.session.execute(
        select(contract_priorities.c.contract_id, Priority)
        .join(Priority, Priority.id == contract_priorities.c.priority_id)
        .join(Contract, Contract.id == contract_priorities.c.contract_id)
        .where(*in_batch(contract_priorities.c.contract_id))
        .order_by(Priority.name, Priority.id)
    ):
        data[contract_id].priorities.append(priority)
        data[contract_id].changed.append(priority.updated_at)

    metric_contract = {}
    for metric in db.session.scalars(
        select(Metric).join(Contract, Contract.id == Metric.contract_id)
        .where(*in_batch(Metric.contract_id), Metric.is_public.is_(True))
        .order_by(Metric.position, Metric.id)
    ):
        data[metric.contract_id].metrics.append(metric)
        # Not updated_at: the stored status refresh bumps it without changing anything published.
        data[metric.contract_id].changed.append(metric.created_at)
        metric_contract[metric.id] = metric.contract_id

    for metric_id, start, value in db.session.execute(
        select(MetricTarget.metric_id, MetricTarget.period_start, MetricTarget.value)
        .join(Metric, Metric.id == MetricTarget.metric_id)
        .join(Contract, Contract.id == Metric.contract_id)
        .where(*in_batch(Metric.contract_id), Metric.is_public.is_(True))
        .order_by(MetricTarget.metric_id, MetricTarget.period_start)
    ):
        data[metric_contract[metric_id]].targets[metric_id].append((start, value))

    # Grouped as they come, in (metric, period) order: one list append per reading. The latest
    # recorded_at per contract comes from the same rows (readings written outside the services,
    # the demo or a bulk load, have no audit event).
    readings, current, latest_recorded = None, None, {}
    for metric_id, start, end, value, recorded_at in db.session.execute(
        # recorded_at as the driver gives it (aware, or naive UTC on SQLite; _aware below), not
        # through UTCDateTime for each of a million rows: only each contract's latest is kept.
        select(Reading.metric_id, Reading.period_start, Reading.period_end, Reading.value,
               type_coerce(Reading.recorded_at, DateTime(timezone=True)))
        .join(Metric, Metric.id == Reading.metric_id)
        .join(Contract, Contract.id == Metric.contract_id)
        .where(*in_batch(Metric.contract_id), Metric.is_public.is_(True))
        .order_by(Reading.metric_id, Reading.period_start)
    ):
        if metric_id != current:
            current = metric_id
            contract_id = metric_contract[metric_id]
            readings = data[contract_id].readings[metric_id]
            latest = latest_recorded.get(contract_id)
        readings.append((start, end, value))
        if recorded_at is not None and (latest is None or recorded_at > latest):
            latest = latest_recorded[contract_id] = recorded_at
    for contract_id, latest in latest_recorded.items():
        data[contract_id].changed.append(_aware(latest))

    minimum = Decimal(current_app.config["PUBLIC_MIN_GROUP_COUNT"])
    for metric_id, start, group_id, dimension, group, value in db.session.execute(
        select(Reading.metric_id, Reading.period_start, DimensionGroup.id, Dimension.name, DimensionGroup.name,
               ReadingGroupValue.value)
        .join(ReadingGroupValue, ReadingGroupValue.reading_id == Reading.id)
        .join(DimensionGroup, DimensionGroup.id == ReadingGroupValue.group_id)
        .join(Dimension, Dimension.id == DimensionGroup.dimension_id)
        .join(Metric, Metric.id == Reading.metric_id)
        .join(Contract, Contract.id == Metric.contract_id)
        .where(*in_batch(Metric.contract_id), Metric.is_public.is_(True), Metric.is_count.is_(True),
               ReadingGroupValue.value >= minimum)
        .order_by(Reading.metric_id, Reading.period_start, Dimension.name, DimensionGroup.position)
    ):
        data[metric_contract[metric_id]].groups[(metric_id, start)].append((group_id, dimension, group, value))

    for milestone in db.session.scalars(
        select(Milestone).join(Contract, Contract.id == Milestone.contract_id)
        .where(*in_batch(Milestone.contract_id))
        .order_by(Milestone.due_date, Milestone.id)
    ):
        data[milestone.contract_id].milestones.append(milestone)
        data[milestone.contract_id].changed.append(milestone.updated_at)

    # Approved payment statements: the latest approved revision of each billing period.
    latest = latest_approved()
    for row in db.session.execute(
        select(PaymentStatement.contract_id, PaymentStatement.number, PaymentStatement.revision,
               PaymentStatement.approved_at, PaymentStatement.total, PaymentStatement.currency)
        .join(Contract, Contract.id == PaymentStatement.contract_id)
        .join(latest, (latest.c.contract_id == PaymentStatement.contract_id)
              & (latest.c.period_start == PaymentStatement.period_start)
              & (latest.c.revision == PaymentStatement.revision))
        .where(*in_batch(PaymentStatement.contract_id))
        .order_by(PaymentStatement.contract_id, PaymentStatement.period_start)
    ):
        data[row.contract_id].transactions.append(row)
        data[row.contract_id].changed.append(_aware(row.approved_at))
    for amendment in db.session.scalars(
        select(Amendment).join(Contract, Contract.id == Amendment.contract_id)
        .where(*in_batch(Amendment.contract_id))
        .order_by(Amendment.amended_on, Amendment.id)
    ):
        data[amendment.contract_id].amendments.append(amendment)
        data[amendment.contract_id].changed.append(amendment.created_at)

    # Every write through the services is audited: the latest audited change to the contract,
    # its metrics and targets, readings and milestones (check-ins and flags are not published).
    for contract_id, latest in db.session.execute(
        select(AuditEvent.contract_id, func.max(AuditEvent.created_at))
        .join(Contract, Contract.id == AuditEvent.contract_id)
        .where(*in_batch(AuditEvent.contract_id), AuditEvent.entity_type.in_(_PUBLISHED_ENTITIES))
        .group_by(AuditEvent.contract_id)
    ):
        data[contract_id].changed.append(_aware(latest))

    vendor_changed = dict(db.session.execute(
        select(AuditEvent.entity_id, func.max(AuditEvent.created_at))
        .where(
            AuditEvent.entity_type == "vendor",
            AuditEvent.entity_id.in_(select(Contract.vendor_id).where(*in_batch(Contract.id))),
        )
        .group_by(AuditEvent.entity_id)
    ).all())
    for contract, vendor in rows:
        data[contract.id].changed += [vendor.created_at, _aware(vendor_changed.get(vendor.id))]

    return [(contract, data[contract.id]) for contract, _vendor in rows]


def _aware(value):
    """An aggregate's timestamp as an aware UTC datetime (SQLite may hand back naive or text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


# --- building a release -----------------------------------------------------------------


def _release(contract, data, config):
    tz = ZoneInfo(config["CITY_TIMEZONE"])
    ocid = f"{config['OCDS_OCID_PREFIX']}-{contract.id}"
    buyer = {"id": f"dept-{contract.department_id}", "name": f"{config['CITY_NAME']}, {contract.department}"}
    supplier = {"id": f"vendor-{data.vendor.id}", "name": data.vendor.name}
    transactions = data.transactions
    supplier_party = _drop_empty(dict(
        supplier,
        identifier=_identifier(data.vendor),
        details=_business_status(data.vendor),
        address=_drop_empty({
            "streetAddress": data.vendor.street_address,
            "locality": data.vendor.locality,
            "region": data.vendor.region,
            "postalCode": data.vendor.postal_code,
            "countryName": data.vendor.country_name,
        }),
        roles=["supplier", "payee"] if transactions else ["supplier"],
    ))
    status = _contract_status(contract)
    value = _drop_empty({"amount": _number(contract.value), "currency": contract.currency})
    implementation = _drop_empty({
        "milestones": [_milestone(m, tz) for m in data.milestones],
        "metrics": [_observed_metric(m, data.readings[m.id], tz, data.groups) for m in data.metrics if data.readings[m.id]],
        "transactions": [_transaction(t, buyer, supplier) for t in data.transactions],
    })
    planning = _drop_empty({"rationale": _rationale(contract)})
    contract_block = _drop_empty({
        "id": str(contract.id),
        "awardID": str(contract.id),
        "title": contract.title,
        "description": _description(contract, tz),
        "status": status,
        "period": _period(contract.start_date, contract.end_date, tz),
        "dateSigned": _day_start(contract.signed_on, tz) if contract.signed_on else None,
        "value": value,
        "items": [_item(contract, data.priorities)],
        "agreedMetrics": [_agreed_metric(m, contract, data.targets[m.id], tz) for m in data.metrics],
        "implementation": implementation,
        "amendments": [_amendment(a, contract.currency, tz) for a in data.amendments],
    })
    tender = _tender(contract, ocid)
    tags = (["planning"] if planning else []) + (["tender"] if tender else []) + ["award", "contract"]
    if implementation:
        tags.append("implementation")
    if data.amendments:
        tags.append("contractAmendment")
    if status == "terminated":
        tags.append("contractTermination")
    release = {
        "ocid": ocid,
        "id": "",  # filled in below, from the hash of everything else
        "date": _timestamp(max(t for t in data.changed if t is not None)),
        "language": "en",
        "tag": tags,
        "initiationType": "tender",
        "parties": [dict(buyer, roles=["buyer", "payer"] if transactions else ["buyer"]), supplier_party],
        "buyer": buyer,
        "planning": planning,
        "tender": tender,
        "awards": [_drop_empty({
            "id": str(contract.id),
            "title": contract.title,
            "status": "cancelled" if status == "cancelled" else AWARD_STATUS.get(contract.status),
            "date": _day_start(contract.awarded_on, tz) if contract.awarded_on else None,
            "value": value,
            "suppliers": [supplier],
        })],
        "contracts": [contract_block],
    }
    release = _drop_empty(release, keep=("id",))
    release["id"] = f"{ocid}-{_content_hash(release)}"
    return release


def _transaction(statement, buyer, supplier):
    """An approved payment statement as an OCDS transaction (the amount payable)."""
    approved = _aware(statement.approved_at)
    return _drop_empty({
        "id": f"{statement.number}-r{statement.revision}",
        "date": _timestamp(approved) if approved else None,
        "value": {"amount": _number(statement.total), "currency": statement.currency},
        "payer": dict(buyer),
        "payee": dict(supplier),
    })


def _tender(contract, ocid):
    """The procurement stage, when anything of it is recorded (else None: no tender block)."""
    method = contract.procurement_method if contract.procurement_method in PROCUREMENT_METHODS else None
    details = (contract.procurement_method_details or "").strip() or None
    if method is None and details is None and contract.bids_received is None:
        return None
    return _drop_empty({
        "id": f"{ocid}-tender",
        "procurementMethod": method,
        "procurementMethodDetails": details,
        "numberOfTenderers": contract.bids_received,
    })


def _business_status(vendor):
    """The supplier's party details: scale "sme" for a small business, and the local and diverse
    statuses as classifications (None when the vendor has none of them)."""
    classifications = [
        {"scheme": BUSINESS_STATUS_SCHEME, "id": code, "description": description}
        for flag, code, description in (
            (vendor.is_local, "local", "Local business"), (vendor.is_diverse, "diverse", "Diverse business"),
        ) if flag
    ]
    return _drop_empty({"scale": "sme" if vendor.is_small else None, "classifications": classifications}) or None


def _amendment(amendment, currency, tz):
    from contracts_app.amendments.services import description

    with _english():
        text = description(amendment, currency)
    return _drop_empty({
        "id": f"amendment-{amendment.id}",
        "date": _day_start(amendment.amended_on, tz),
        "rationale": amendment.rationale,
        "description": text,
    })


def _english():
    """Open data is published in English (the release's ``language``), whatever the request's."""
    from flask_babel import force_locale

    return force_locale("en")


def _contract_status(contract):
    status = CONTRACT_STATUS.get(contract.status)
    if contract.is_archived:
        # Withdrawn: before signature that is a cancellation; after it, a termination.
        return "cancelled" if status == "pending" else "terminated"
    return status


def _identifier(vendor):
    if not (vendor.identifier_scheme and vendor.identifier):
        return None
    return {"scheme": vendor.identifier_scheme, "id": vendor.identifier, "legalName": vendor.name}


def _rationale(contract):
    parts = []
    if contract.problem.strip():
        parts.append(f"Problem: {contract.problem.strip()}")
    if contract.outcomes.strip():
        parts.append(f"Desired outcomes: {contract.outcomes.strip()}")
    return "\n\n".join(parts)


def _description(contract, tz):
    text = (
        f"{contract.kind_label} {contract.reference}, {contract.department}. "
        f"Payment structure: {contract.payment_structure_label}."
    )
    if contract.payment_terms.strip():
        text += " " + contract.payment_terms.strip()
    if contract.is_archived:
        withdrawn = contract.archived_at.astimezone(tz).date().isoformat()
        text += f" Withdrawn from the city's contract tracker on {withdrawn}."
    return text


def _item(contract, priorities):
    return _drop_empty({
        "id": "1",
        "description": contract.title,
        "additionalClassifications": [
            {"scheme": PRIORITY_SCHEME, "id": str(p.id), "description": p.name} for p in priorities
        ],
    })


def _milestone(milestone, tz):
    description = milestone.description.strip()
    if milestone.payment_linked:
        description = (description + " Payment is linked to this milestone.").strip()
    if milestone.status == "partially_met" and milestone.completed_on:
        description = (description + f" Partially met on {milestone.completed_on.isoformat()}.").strip()
    return _drop_empty({
        "id": str(milestone.id),
        "title": milestone.title,
        "type": milestone.milestone_type or "delivery",
        "description": description,
        "status": MILESTONE_STATUS.get(milestone.status),
        "dueDate": _day_end(milestone.due_date, tz),
        # OCDS: dateMet is when the milestone was met; a partial completion is not that.
        "dateMet": _day_start(milestone.completed_on, tz) if milestone.status == "met" and milestone.completed_on else None,
        "dateModified": _timestamp(milestone.updated_at) if milestone.updated_at else None,
    })


def _metric_description(metric):
    parts = [metric.definition.strip()]
    parts.append(f"Direction: {metric.direction_label.lower()}; reported {metric.cadence_label.lower()}.")
    if metric.direction == "maintain":
        parts.append(f"On track within {_plain(metric.tolerance_pct)}% of the target.")
    if metric.direction in ("increase", "decrease"):
        parts.append("Between the baseline and the final target, targets are linear unless set per period.")
    if metric.data_source.strip():
        parts.append(f"Data source: {metric.data_source.strip()}.")
    if metric.payment_linked:
        parts.append("Payment is linked to this metric.")
    return " ".join(p for p in parts if p)


def _agreed_metric(metric, contract, targets, tz):
    unit = unit_for(metric.unit)
    end_day = _period(contract.end_date, contract.end_date, tz)
    term = _period(contract.start_date, contract.end_date, tz)
    observations = []

    def observe(suffix, value, period, **dimensions):
        observations.append(_drop_empty({
            "id": f"{metric.id}-{suffix}",
            "period": period,
            "measure": _number(value),
            "unit": unit,
            "dimensions": dimensions,
        }))

    if metric.baseline_value is not None:
        baseline_period = _period(metric.baseline_date, metric.baseline_date, tz) if metric.baseline_date else None
        observe("baseline", metric.baseline_value, baseline_period, observationType="baseline")
    if metric.direction == "range":
        if metric.range_low is not None:
            observe("target-low", metric.range_low, term, observationType="target", targetBound="low")
        if metric.range_high is not None:
            observe("target-high", metric.range_high, term, observationType="target", targetBound="high")
    elif metric.target_value is not None:
        observe("target", metric.target_value, term if metric.direction == "maintain" else end_day,
                observationType="target")
    if targets:
        ends = {p.start: p.end for p in rules.periods(contract.start_date, contract.end_date, metric.cadence)}
        for start, value in targets:
            observe(f"target-{start.isoformat()}", value, _period(start, ends.get(start, start), tz),
                    observationType="target")
    return _drop_empty({
        "id": str(metric.id),
        "title": metric.name,
        "description": _metric_description(metric),
        "observations": observations,
    })


def _observed_metric(metric, readings, tz, groups=None):
    """The readings as observations, each followed by its values per group (a count's, groups
    below PUBLIC_MIN_GROUP_COUNT left out) with ``dimensions`` naming the group:
    {"Council district": "District 7"}."""
    unit = unit_for(metric.unit)
    observations = []
    for start, end, value in readings:
        period = _period(start, end, tz)
        observations.append({
            "id": f"{metric.id}-{start.isoformat()}",
            "period": period,
            "measure": _number(value),
            "unit": unit,
        })
        for group_id, dimension, group, group_value in (groups or {}).get((metric.id, start), ()):
            observations.append({
                "id": f"{metric.id}-{start.isoformat()}-group-{group_id}",
                "period": period,
                "measure": _number(group_value),
                "unit": unit,
                "dimensions": {dimension: group},
            })
    return {
        "id": str(metric.id),
        "title": metric.name,
        "observations": observations,
    }


def unit_for(name):
    name = (name or "").strip()
    code = UNIT_CODES.get(name.lower())
    if code:
        return {"scheme": "UNCEFACT", "id": code, "name": name}
    return {"name": name} if name else None


# --- formatting -------------------------------------------------------------------------


def _period(start, end, tz):
    # A new dict each time: one shared object would be aliased all over the package.
    return {"startDate": _day_start(start, tz), "endDate": _day_end(end, tz)}


# Cached: the same reporting periods recur across thousands of metrics.
@lru_cache(maxsize=8192)
def _day_start(day, tz):
    """Midnight at the start of a date in the city, with its UTC offset."""
    return datetime.combine(day, time(0, 0), tzinfo=tz).isoformat()


@lru_cache(maxsize=8192)
def _day_end(day, tz):
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz).isoformat()


def _timestamp(value):
    """UTC to the second, always the same shape: merging tools order releases by this text."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value):
    """A Decimal as a JSON number: integral values as integers, others as the nearest float
    (whose shortest form is the stored value: 35.4000 -> 35.4; values have 4 decimals)."""
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def _plain(value):
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# json.dumps's compact text (no circular check: a release is a tree), with its C encoder.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False).encode


def _content_hash(release):
    # The release is built in a fixed key order, so its JSON text is canonical as it is.
    text = _COMPACT(release)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _drop_empty(mapping, keep=()):
    """The mapping without None, empty strings, lists and dicts (OCDS omits what it does not know)."""
    return {k: v for k, v in mapping.items() if k in keep or v not in (None, "", [], {})}
