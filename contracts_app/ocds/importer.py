"""Import a city's open contracting data (OCDS) into the register.

``check(stream)`` reads an OCDS release package, a record package, or JSON lines of either (or
of single releases or records), OCDS 1.0 or 1.1, and says what an import would do: the contracts
it would create, update and skip, and every problem with its JSON path. ``import_stream`` checks
the same way and then writes everything in one transaction, audited as the importing user; any
error and nothing is written.

Streaming: the file is parsed with ijson, one release (or record) at a time; each release is
checked where it stands in the file and spooled to a temporary file as one line of JSON, with an
index of ocid -> line offsets. The releases of each ocid are then read back and compiled
(ocdsmerge, the project's release schema with the Metrics extension) one ocid at a time, so
memory holds one contracting process, not the file.

Encoding: a byte-order mark (UTF-8, UTF-16, UTF-32) decides; else the encoding the caller
declares (``encoding=``: the CLI's --encoding, the upload form's or the upload's charset); else
UTF-16 or UTF-32 from where the zero bytes fall at the start (RFC 4627), else UTF-8 when the start
of the file is valid UTF-8, else what charset-normalizer detects there. A file that does not decode
gets a clear message.

OCDS 1.0 data (a release with no ``parties`` whose buyer, tenderers or suppliers are full
organisations) is upgraded as ocdskit's ``upgrade_10_11`` does: each organisation becomes a party
(id: its identifier's scheme and id, else its name) with its roles, and the release refers to it
by id and name; 1.0 transactions' ``amount``, ``providerOrganization`` and
``receiverOrganization`` become ``value``, ``payer`` and ``payee``.

The mapping onto the register, keyed on (ocid, OCDS contract id) (``Contract.ocds_ocid``,
``ocds_contract_id``):

- status: pending -> draft, active -> active, terminated -> completed; cancelled contracts are
  skipped. A contract with no goals yet (no agreed metrics, no desired outcomes) is a draft.
- the supplier (of the contract's award) -> a vendor, matched on identifier scheme and id, then
  on name (ignoring case), else created; the buyer -> a department (the export's "<city>, "
  prefix removed).
- value, currency, period, dateSigned, the award's date, tender method and number of tenderers,
  planning.rationale (problem and desired outcomes) as published; the tracker's own export's
  description gives back the kind, reference and payment structure.
- milestones -> milestones (keyed on their OCDS id), implementation.transactions -> payments
  made (keyed on the transaction id as the invoice reference), agreedMetrics -> metrics with
  baseline and targets, implementation.metrics observations -> readings (keyed on the metric
  and period start).
- observations with ``dimensions`` naming a group ({"Council district": "District 7"}, as the
  export publishes a count's groups) -> the reading's group values (ReadingGroupValue) in the
  city's dimension of that name, made with the file's groups when missing; the count rule of
  dimensions.services.check_group_values holds (in a dimension made from the file, which may
  lack groups the publisher hid, only groups above the total contradict it).
- an award with several suppliers: the first is the vendor, and a warning names the others.
- Only the fields the file carries are written on re-import: local edits to the others stay.

The check and the import compare the file with the register by the same code (``_Writer``, dry
or not): the check's outcome for a contract to update lists each change (``Change``), one with
none is "unchanged", and an import with nothing to create or update writes nothing at all.
"""
from __future__ import annotations

import codecs
import io
import json
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import ijson
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from contracts_app.audit.services import record
from contracts_app.auth.models import PROCUREMENT_OFFICER
from contracts_app.audit.readable import label_for
from contracts_app.contracts.models import (KINDS, PAYMENT_STRUCTURES, PROCUREMENT_METHODS, STATUSES, Contract,
                                            Department, Vendor)
from contracts_app.db_types import max_length, utcnow
from contracts_app.dimensions.models import Dimension, DimensionGroup, ReadingGroupValue, metric_dimensions
from contracts_app.dimensions.services import (GroupValueError, check_group_values, group_values_snapshot,
                                               write_group_values)
from contracts_app.extensions import db
from contracts_app.formatting import long_date, money, number, plural
from contracts_app.metrics import rules, status
from contracts_app.metrics.models import CADENCES, DIRECTIONS, Metric, MetricTarget, Reading, ReadingRevision
from contracts_app.milestones.models import MILESTONE_STATUSES, MILESTONE_TYPES, Milestone
from contracts_app.ocds.export import PRIORITY_SCHEME
from contracts_app.priorities.models import Priority, contract_priorities
from contracts_app.spend.models import Payment

SAMPLE_BYTES = 64 * 1024
READ_CHUNK = 64 * 1024

# The register's numeric columns: Numeric(14, 2) for money, Numeric(18, 4) for metric values.
MAX_AMOUNT = Decimal(10) ** 12
MAX_MEASURE = Decimal(10) ** 14
# The longest ocid and OCDS contract id the register keeps (Contract.ocds_ocid, ocds_contract_id).
MAX_KEY = 255
# Contracts written per batch: the existing ones and their children are read once per batch.
WRITE_BATCH = 200
CHECK_BATCH = 25

STATUS_MAP = {"pending": "draft", "active": "active", "terminated": "completed"}
MILESTONE_STATUS_MAP = {"scheduled": "scheduled", "met": "met", "partiallyMet": "partially_met",
                        "notMet": "not_met"}


class OcdsFileError(Exception):
    """A file that cannot be read as OCDS at all (encoding, not JSON, not OCDS)."""


@dataclass
class Problem:
    path: str
    message: str
    error: bool = True

    def __str__(self):
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass
class Outcome:
    """What the import does (or would do) with one OCDS contract."""

    ocid: str
    contract_id: str
    title: str
    action: str  # create, update, unchanged, skip
    reason: str = ""
    register_id: int | None = None
    changes: list = field(default_factory=list)  # of Change, for an update


@dataclass
class Change:
    """One thing an update changes, in words: ("Value", "$120,000", "$130,000"); ``before`` None
    for something added. ``field`` is the register's name for it (the audit event's)."""

    what: str
    before: str | None
    after: str
    field: str = ""

    def __str__(self):
        if self.before is None:
            return _("%(what)s: %(after)s (new)", what=self.what, after=self.after)
        return _("%(what)s: %(before)s → %(after)s", what=self.what, before=self.before, after=self.after)


@dataclass
class ImportCheck:
    problems: list = field(default_factory=list)
    outcomes: list = field(default_factory=list)
    releases: int = 0
    encoding: str = "utf-8"
    version: str | None = None

    @property
    def errors(self):
        return [p for p in self.problems if p.error]

    @property
    def warnings(self):
        return [p for p in self.problems if not p.error]

    @property
    def ok(self):
        return not self.errors

    def count(self, action):
        return sum(1 for o in self.outcomes if o.action == action)


# --- decoding --------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class _Recoder(io.RawIOBase):
    """A binary stream of UTF-8 bytes read, a chunk at a time, from ``raw`` in ``encoding``."""

    def __init__(self, raw, encoding, head=b""):
        self.raw = raw
        self.encoding = encoding
        self.decoder = codecs.getincrementaldecoder(encoding)("strict")
        self.pending = head
        self.done = False
        self.buffer = b""

    def readable(self):
        return True

    def read(self, size=-1):
        while not self.done and (size < 0 or len(self.buffer) < size):
            chunk = self.pending or self.raw.read(READ_CHUNK)
            self.pending = b""
            try:
                text = self.decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                raise OcdsFileError(_("The file is not valid %(encoding)s text (%(detail)s).",
                                      encoding=self.encoding, detail=error.reason))
            if not chunk:
                self.done = True
            self.buffer += text.encode("utf-8")
        if size < 0:
            data, self.buffer = self.buffer, b""
        else:
            data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def readinto(self, b):
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)


def open_utf8(raw, encoding=None):
    """(UTF-8 byte stream, encoding name) of the binary stream ``raw``."""
    head = raw.read(SAMPLE_BYTES)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return _Recoder(raw, name, head[len(bom):]), name.replace("-le", "").replace("-be", "")
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise OcdsFileError(_("%(encoding)s is not an encoding this import knows.", encoding=encoding))
        return _Recoder(raw, name, head), name
    sniffed = _json_encoding(head)
    if sniffed:
        return _Recoder(raw, sniffed, head), sniffed.replace("-le", "").replace("-be", "")
    if _is_utf8_prefix(head):
        return _Recoder(raw, "utf-8", head), "utf-8"
    name = _detect(head)
    if name is None:
        raise OcdsFileError(_("The file's encoding could not be recognised: save it as UTF-8, or say which "
                              "encoding it is in."))
    return _Recoder(raw, name, head), name


def _json_encoding(head):
    """UTF-16 or UTF-32 without a byte-order mark, from where the zero bytes fall in the first
    four (JSON text starts with an ASCII character: RFC 4627, section 3), or None."""
    start = head.lstrip(b" \t\r\n")[:4] if not head[:1] == b"\x00" else head[:4]
    if len(start) < 4:
        return None
    zeros = tuple(byte == 0 for byte in start)
    return {
        (True, True, True, False): "utf-32-be", (False, True, True, True): "utf-32-le",
        (True, False, True, False): "utf-16-be", (False, True, False, True): "utf-16-le",
    }.get(zeros)


def _is_utf8_prefix(head):
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=False)
        return True
    except UnicodeDecodeError:
        return False


def _detect(head):
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - installed with requests
        return None
    best = from_bytes(head).best()
    return codecs.lookup(best.encoding).name if best is not None else None


# --- parsing ---------------------------------------------------------------------------------


class _Spool:
    """Releases written one line each to a temporary file, indexed by ocid."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()
        self.index = {}

    def add(self, ocid, release, path):
        offset = self.file.tell()
        self.file.write(json.dumps([path, release], separators=(",", ":"), default=_json_default).encode("utf-8"))
        self.file.write(b"\n")
        self.index.setdefault(ocid, []).append(offset)

    def groups(self):
        for ocid, offsets in self.index.items():
            releases = []
            for offset in offsets:
                self.file.seek(offset)
                path, release = json.loads(self.file.readline(), parse_float=Decimal)
                releases.append((path, release))
            yield ocid, releases

    def close(self):
        self.file.close()


def _json_default(value):
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    raise TypeError(type(value).__name__)


def _read_releases(stream, check, spool):
    """Parse ``stream`` (UTF-8 bytes) with ijson, checking each release where it stands and
    spooling it; top-level values may follow one another (JSON lines)."""
    events = ijson.parse(stream, multiple_values=True, use_float=False)
    line = 0
    saw_ocds = False
    not_ocds = _("This is JSON but not OCDS: expected a release package (with \"releases\") or a record "
                 "package (with \"records\").")
    try:
        for _prefix, event, _value in events:
            line += 1
            if event != "start_map":
                raise OcdsFileError(not_ocds)
            saw_ocds |= _read_top_object(events, check, spool, f"line {line}: " if line > 1 else "")
    except ijson.JSONError as error:
        detail = (str(error).strip().splitlines() or [""])[0].strip()[:200]
        if line == 0 and "premature EOF" in detail:
            raise OcdsFileError(_("The file is empty."))
        raise OcdsFileError(_("The file is not JSON (%(detail)s).", detail=detail))
    if line == 0:
        raise OcdsFileError(_("The file is empty."))
    if not saw_ocds:
        raise OcdsFileError(not_ocds)


def _read_top_object(events, check, spool, where):
    """One top-level object: a package (its releases or records streamed one at a time), or a
    single release or record (built whole). Returns whether it was OCDS."""
    head = {}
    kind = None
    for prefix, event, value in events:
        if event == "end_map" and prefix == "":
            break
        if event != "map_key" or prefix != "":
            continue
        key = value
        if key in ("releases", "records"):
            prefix2, event2, _value = next(events)
            if event2 != "start_array":
                check.problems.append(Problem(f"{where}{key}", _("should be a list, not %(what)s.", what=_what(event2))))
                _skip(events, event2, f"{key}")
                continue
            kind = key
            builder_prefix = f"{key}.item"
            index = 0
            for item in _items(events, builder_prefix, key):
                path = f"{where}{key}[{index}]"
                if key == "releases":
                    _take_release(item, path, check, spool)
                else:
                    _take_record(item, path, check, spool)
                index += 1
        else:
            head[key] = _build(events, key)
    if kind is None:
        # A single release or record (JSON lines of releases).
        if "ocid" in head and ("releases" in head or "compiledRelease" in head):
            _take_record(head, where.rstrip(": ") or "record", check, spool)
            return True
        if "ocid" in head or "tag" in head or "contracts" in head or "awards" in head:
            _take_release(head, where.rstrip(": ") or "release", check, spool)
            return True
        return False
    if check.version is None:
        check.version = head.get("version") if isinstance(head.get("version"), str) else None
    return True


def _what(event):
    return {"null": "null", "string": _("text"), "number": _("a number"), "boolean": _("true or false"),
            "start_map": _("an object"), "start_array": _("a list")}.get(event, event)


def _skip(events, event, prefix):
    if event in ("start_map", "start_array"):
        end = "end_map" if event == "start_map" else "end_array"
        for p, e, _v in events:
            if p == prefix and e == end:
                return


def _items(events, item_prefix, array_prefix):
    """The items of the array at ``array_prefix`` (its start already read), built one at a time."""
    for prefix, event, value in events:
        if prefix == array_prefix and event == "end_array":
            return
        builder = ijson.ObjectBuilder()
        builder.event(event, value)
        if event in ("start_map", "start_array"):
            depth = 1
            for p, e, v in events:
                builder.event(e, v)
                if e in ("start_map", "start_array"):
                    depth += 1
                elif e in ("end_map", "end_array"):
                    depth -= 1
                    if depth == 0:
                        break
        yield builder.value


def _build(events, prefix):
    """The value at ``prefix`` (its key just read), built whole (a package's small head fields)."""
    builder = ijson.ObjectBuilder()
    depth = 0
    for p, e, v in events:
        builder.event(e, v)
        if e in ("start_map", "start_array"):
            depth += 1
        elif e in ("end_map", "end_array"):
            depth -= 1
        if depth == 0:
            return builder.value


def _take_record(item, path, check, spool):
    if not isinstance(item, dict):
        check.problems.append(Problem(path, _("A record should be an object.")))
        return
    releases = item.get("releases")
    embedded = [r for r in releases if isinstance(r, dict) and "tag" in r] if isinstance(releases, list) else []
    if embedded:
        for index, release in enumerate(releases):
            if isinstance(release, dict) and "tag" in release:
                release.setdefault("ocid", item.get("ocid"))
                _take_release(release, f"{path}.releases[{index}]", check, spool)
    elif isinstance(item.get("compiledRelease"), dict):
        release = item["compiledRelease"]
        release.setdefault("ocid", item.get("ocid"))
        _take_release(release, f"{path}.compiledRelease", check, spool)
    else:
        check.problems.append(Problem(path, _("The record has neither its releases nor a compiled release: "
                                              "nothing of it can be imported.")))


def _take_release(release, path, check, spool):
    before = len(check.errors)
    if not isinstance(release, dict):
        check.problems.append(Problem(path, _("A release should be an object, not %(what)s.", what=_json_kind(release))))
        return
    ocid = release.get("ocid")
    if not isinstance(ocid, str) or not ocid.strip():
        check.problems.append(Problem(f"{path}.ocid", _("The release has no ocid (the contracting process's id).")))
        return
    if len(ocid.strip()) > MAX_KEY:
        check.problems.append(Problem(f"{path}.ocid", _("The ocid is longer than %(n)s characters.", n=MAX_KEY)))
        return
    check_release(release, path, check.problems)
    if len(check.errors) > before:
        return
    if _is_10(release):
        upgrade_10(release)
    check.releases += 1
    spool.add(ocid.strip(), release, path)


def _json_kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return _("true or false")
    if isinstance(value, (int, float, Decimal)):
        return _("a number")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, list):
        return _("a list")
    return _("an object")


# --- checking one release where it stands ----------------------------------------------------


def check_release(release, path, problems):
    """Add a Problem to ``problems`` for each value of ``release`` the import cannot read: an
    object that is null or not an object, an amount that is not a number, a date that is not a
    date."""

    def obj(value, where, required=False):
        if value is None and not required:
            return None
        if not isinstance(value, dict):
            problems.append(Problem(where, _("should be an object, not %(what)s.", what=_json_kind(value))))
            return None
        return value

    def objects(parent, key, where):
        if key not in parent:
            return []
        value = parent[key]
        if not isinstance(value, list):
            problems.append(Problem(f"{where}.{key}", _("should be a list, not %(what)s.", what=_json_kind(value))))
            return []
        out = []
        for index, item in enumerate(value):
            if obj(item, f"{where}.{key}[{index}]", required=True) is not None:
                out.append((f"{where}.{key}[{index}]", item))
        return out

    def present(parent, key, where):
        if key in parent:
            if parent[key] is None:
                problems.append(Problem(f"{where}.{key}", _("should be an object, not null.")))
                return None
            return obj(parent[key], f"{where}.{key}")
        return None

    def a_date(parent, key, where):
        value = parent.get(key)
        if value is None:
            return
        if not isinstance(value, str) or parse_date(value) is None:
            problems.append(Problem(f"{where}.{key}", _("is not a date: %(value)s.", value=_short(value))))

    def amount(value_obj, where, key="amount"):
        if value_obj is None:
            return
        value = value_obj.get(key)
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            problems.append(Problem(f"{where}.{key}", _("is not a number: %(value)s.", value=_short(value))))

    def period(parent, where):
        p = present(parent, "period", where)
        if p is not None:
            a_date(p, "startDate", f"{where}.period")
            a_date(p, "endDate", f"{where}.period")

    a_date(release, "date", path)
    for key in ("buyer", "planning", "tender"):
        present(release, key, path)
    objects(release, "parties", path)
    tender = release.get("tender") if isinstance(release.get("tender"), dict) else None
    if tender is not None:
        amount(present(tender, "value", f"{path}.tender"), f"{path}.tender.value")
        objects(tender, "tenderers", f"{path}.tender")
        period(tender, f"{path}.tender")
    for where, award in objects(release, "awards", path):
        a_date(award, "date", where)
        amount(present(award, "value", where), f"{where}.value")
        objects(award, "suppliers", where)
        period(award, where)
    for where, contract in objects(release, "contracts", path):
        a_date(contract, "dateSigned", where)
        amount(present(contract, "value", where), f"{where}.value")
        period(contract, where)
        implementation = present(contract, "implementation", where)
        for mwhere, milestone in objects(contract, "milestones", where):
            for key in ("dueDate", "dateMet", "dateModified"):
                a_date(milestone, key, mwhere)
        for mwhere, metric in objects(contract, "agreedMetrics", where):
            for owhere, observation in objects(metric, "observations", mwhere):
                period(observation, owhere)
        if implementation is None:
            continue
        iwhere = f"{where}.implementation"
        for mwhere, milestone in objects(implementation, "milestones", iwhere):
            for key in ("dueDate", "dateMet", "dateModified"):
                a_date(milestone, key, mwhere)
        for twhere, transaction in objects(implementation, "transactions", iwhere):
            a_date(transaction, "date", twhere)
            amount(present(transaction, "value", twhere), f"{twhere}.value")
            amount(present(transaction, "amount", twhere), f"{twhere}.amount")
        for mwhere, metric in objects(implementation, "metrics", iwhere):
            for owhere, observation in objects(metric, "observations", mwhere):
                period(observation, owhere)


def _short(value):
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_date(text):
    """The date of an OCDS date-time (its own offset's calendar day), or None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00")).date()
    except ValueError:
        return None


# --- OCDS 1.0 -> 1.1 -------------------------------------------------------------------------


def _is_10(release):
    if "parties" in release:
        return False
    buyer = release.get("buyer")
    if isinstance(buyer, dict) and "id" not in buyer and ("name" in buyer or "identifier" in buyer):
        return True
    for award in release.get("awards") or []:
        for supplier in award.get("suppliers") or []:
            if isinstance(supplier, dict) and "id" not in supplier:
                return True
    tender = release.get("tender") or {}
    return any(isinstance(t, dict) and "id" not in t for t in tender.get("tenderers") or [])


def _party_id(organization):
    identifier = organization.get("identifier")
    if isinstance(identifier, dict) and identifier.get("id") not in (None, ""):
        scheme = identifier.get("scheme") or ""
        return f"{scheme}-{identifier['id']}" if scheme else str(identifier["id"])
    return "name-" + re.sub(r"\W+", "-", str(organization.get("name") or "unnamed").strip().lower()).strip("-")


def upgrade_10(release):
    """Upgrade a 1.0 release in place (ocdskit's upgrade_10_11 rules for organisations and
    transactions)."""
    parties = {}

    def party(organization, role):
        if not isinstance(organization, dict):
            return organization
        party_id = organization.get("id") or _party_id(organization)
        entry = parties.setdefault(party_id, dict(organization, id=party_id, roles=[]))
        if role not in entry["roles"]:
            entry["roles"].append(role)
        return {"id": party_id, "name": organization.get("name")} if organization.get("name") else {"id": party_id}

    if isinstance(release.get("buyer"), dict):
        release["buyer"] = party(release["buyer"], "buyer")
    tender = release.get("tender")
    if isinstance(tender, dict):
        if isinstance(tender.get("procuringEntity"), dict):
            tender["procuringEntity"] = party(tender["procuringEntity"], "procuringEntity")
        if isinstance(tender.get("tenderers"), list):
            tender["tenderers"] = [party(t, "tenderer") for t in tender["tenderers"]]
    for award in release.get("awards") or []:
        if isinstance(award.get("suppliers"), list):
            award["suppliers"] = [party(s, "supplier") for s in award["suppliers"]]
    for contract in release.get("contracts") or []:
        implementation = contract.get("implementation")
        if not isinstance(implementation, dict):
            continue
        for transaction in implementation.get("transactions") or []:
            if "amount" in transaction and "value" not in transaction:
                transaction["value"] = transaction.pop("amount")
            if isinstance(transaction.get("providerOrganization"), dict) and "payer" not in transaction:
                transaction["payer"] = party(transaction.pop("providerOrganization"), "payer")
            if isinstance(transaction.get("receiverOrganization"), dict) and "payee" not in transaction:
                transaction["payee"] = party(transaction.pop("receiverOrganization"), "payee")
    if parties:
        release["parties"] = list(parties.values())
    return release


# --- compiling and mapping -------------------------------------------------------------------


def _compile(releases):
    from contracts_app.ocds.records import _merger

    if len(releases) == 1:
        return releases[0]
    dated = sorted(releases, key=lambda r: str(r.get("date") or ""))
    return _merger().create_compiled_release(dated)


_KIND_BY_LABEL = {str(label).lower(): code for code, label in KINDS.items()}
_STRUCTURE_BY_LABEL = {str(label).lower(): code for code, label in PAYMENT_STRUCTURES.items()}
_EXPORT_DESCRIPTION = re.compile(
    r"^(?P<kind>Contract|Strategic procurement|Grant) (?P<reference>\S+), .*?\. "
    r"Payment structure: (?P<structure>[^.]+)\.(?: (?P<terms>.*?))?(?: Withdrawn from .*)?$", re.S)
_DIRECTION = re.compile(r"Direction: (?P<direction>[^;]+); reported (?P<cadence>\w+)\.")


def _decimal(value):
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _measure(value):
    """An observation's measure as the register stores it (four decimal places, half up), so that
    the same file imported again compares equal (28.000000000000004 is stored 28)."""
    number = _decimal(value)
    if number is None or not number.is_finite():
        return None
    try:
        return number.quantize(Decimal("0.0001"), ROUND_HALF_UP)
    except InvalidOperation:  # too many digits to quantize: too large for the register anyway
        return number


def _text(value, limit=None):
    text = value.strip() if isinstance(value, str) else ""
    return text[:limit] if limit else text


@dataclass
class _Mapped:
    """One OCDS contract as the register's fields (only those the file carries)."""

    ocid: str
    contract_id: str
    path: str
    fields: dict
    vendor: dict
    department: str | None
    milestones: list
    payments: list
    metrics: list
    skip: str = ""
    # The citywide priorities it serves, by name, with their JSON paths (the project's own
    # export names them as items' additional classifications, scheme X-RDC-PRIORITY).
    priorities: list = field(default_factory=list)


def map_contracts(ocid, release, path, problems):
    """The register contracts of the compiled ``release``."""
    parties = {p.get("id"): p for p in release.get("parties") or [] if isinstance(p, dict)}
    awards = {str(a.get("id")): a for a in release.get("awards") or [] if isinstance(a, dict)}
    award_paths = {id(a): f"{path}.awards[{n}]" for n, a in enumerate(release.get("awards") or [])}
    buyer = release.get("buyer") or {}
    buyer = parties.get(buyer.get("id"), buyer) if isinstance(buyer, dict) else {}
    city = current_app.config.get("CITY_NAME") or ""
    department = _text(buyer.get("name"))
    if city and department.startswith(city + ", "):
        department = department[len(city) + 2:]
    tender = release.get("tender") or {}
    planning = release.get("planning") or {}
    contracts = [c for c in release.get("contracts") or [] if isinstance(c, dict)]
    if not contracts:
        title = _text(tender.get("title")) or next((_text(a.get("title")) for a in awards.values()), "") or ocid
        return [_Mapped(ocid, "", path, {"title": title}, {}, None, [], [], [],
                        skip=_("no contract yet: the contracting process has no contracts block."))]
    out = []
    for index, contract in enumerate(contracts):
        where = f"{path}.contracts[{index}]"
        contract_id = str(contract.get("id") or index)
        if len(contract_id) > MAX_KEY:
            problems.append(Problem(f"{where}.id", _("The contract id is longer than %(n)s characters.", n=MAX_KEY)))
            continue
        award = awards.get(str(contract.get("awardID"))) or (next(iter(awards.values())) if len(awards) == 1 else {})
        fields = {}
        title = _text(contract.get("title")) or _text(award.get("title")) or _text(tender.get("title")) or ocid
        fields["title"] = title[:max_length(Contract.title)]
        value = contract.get("value") if isinstance(contract.get("value"), dict) else award.get("value")
        if isinstance(value, dict) and value.get("amount") is not None:
            fields["value"] = _decimal(value["amount"])
            if fields["value"] < 0:
                problems.append(Problem(f"{where}.value.amount", _("A contract's value cannot be negative.")))
            elif fields["value"] >= MAX_AMOUNT:
                problems.append(Problem(f"{where}.value.amount", _("is too large for the register (at most 12 "
                                                                   "digits before the decimal point).")))
        if isinstance(value, dict) and value.get("currency"):
            fields["currency"] = str(value["currency"]).upper()[:3]
        term = contract.get("period") or award.get("period") or {}
        start, end = parse_date(term.get("startDate")), parse_date(term.get("endDate"))
        signed = parse_date(contract.get("dateSigned"))
        awarded = parse_date(award.get("date"))
        start = start or signed or awarded
        end = end or start
        mapped = _Mapped(ocid, contract_id, where, fields, {}, department or None, [], [], [])
        if start is None:
            mapped.skip = _("no term: the contract has no period, date of signature or award date.")
        else:
            fields["start_date"], fields["end_date"] = start, end
            if end < start:
                problems.append(Problem(f"{where}.period", _("The period ends before it starts.")))
        if signed:
            fields["signed_on"] = signed
        if awarded:
            fields["awarded_on"] = awarded
        ocds_status = contract.get("status")
        if ocds_status == "cancelled":
            mapped.skip = _("cancelled before signature.")
        elif ocds_status in STATUS_MAP:
            fields["status"] = STATUS_MAP[ocds_status]
        method = tender.get("procurementMethod")
        if method in PROCUREMENT_METHODS:
            fields["procurement_method"] = method
        if _text(tender.get("procurementMethodDetails")):
            fields["procurement_method_details"] = _text(tender["procurementMethodDetails"], 255)
        bids = tender.get("numberOfTenderers")
        if isinstance(bids, int) and not isinstance(bids, bool) and 0 <= bids <= 1_000_000:
            fields["bids_received"] = tender["numberOfTenderers"]
        rationale = _text(planning.get("rationale"))
        if rationale:
            problem, outcomes = rationale, ""
            if "Desired outcomes:" in rationale:
                problem, _sep, outcomes = rationale.partition("Desired outcomes:")
            fields["problem"] = re.sub(r"^Problem:\s*", "", problem.strip())
            fields["outcomes"] = outcomes.strip()
        description = _text(contract.get("description"))
        match = _EXPORT_DESCRIPTION.match(description) if description else None
        if match:
            fields["kind"] = _KIND_BY_LABEL.get(match["kind"].lower(), "contract")
            fields["reference"] = match["reference"][:64]
            structure = _STRUCTURE_BY_LABEL.get(match["structure"].strip().lower())
            if structure:
                fields["payment_structure"] = structure
            if match["terms"]:
                fields["payment_terms"] = match["terms"].strip()
        elif description:
            fields["payment_terms"] = description
        suppliers = [s for s in award.get("suppliers") or [] if isinstance(s, dict)]
        supplier = suppliers[0] if suppliers else None
        if len(suppliers) > 1 and not mapped.skip:
            def supplier_name(s):
                return _text(parties.get(s.get("id"), s).get("name") or s.get("name")) or str(s.get("id") or "?")
            problems.append(Problem(f"{award_paths.get(id(award), where)}.suppliers", _(
                "The award names %(count)s suppliers, and a contract in the register has one vendor: "
                "%(taken)s is taken; not %(others)s.", count=len(suppliers), taken=supplier_name(supplier),
                others=", ".join(supplier_name(s) for s in suppliers[1:])), error=False))
        if isinstance(supplier, dict):
            party = parties.get(supplier.get("id"), supplier)
            identifier = party.get("identifier") if isinstance(party.get("identifier"), dict) else {}
            address = party.get("address") if isinstance(party.get("address"), dict) else {}
            scheme, identifier_id = _text(identifier.get("scheme"), 32), _text(str(identifier.get("id") or ""), 64)
            if not (scheme and identifier_id):
                scheme = identifier_id = ""  # the register keeps an identifier only with its scheme
            mapped.vendor = {
                "name": _text(party.get("name") or supplier.get("name") or identifier.get("legalName"), 200),
                "identifier_scheme": scheme or None,
                "identifier": identifier_id or None,
                "street_address": _text(address.get("streetAddress"), 255) or None,
                "locality": _text(address.get("locality"), 120) or None,
                "region": _text(address.get("region"), 120) or None,
                "postal_code": _text(address.get("postalCode"), 20) or None,
                "country_name": _text(address.get("countryName"), 100) or None,
            }
        if not mapped.skip and not (mapped.vendor and mapped.vendor["name"]):
            mapped.skip = _("no supplier: the contract's award names none.")
        for iindex, item in enumerate(contract.get("items") or []):
            classifications = item.get("additionalClassifications") if isinstance(item, dict) else None
            for cindex, classification in enumerate(classifications if isinstance(classifications, list) else []):
                if isinstance(classification, dict) and classification.get("scheme") == PRIORITY_SCHEME:
                    name = _text(classification.get("description"), 200)
                    if name and name.lower() not in {n.lower() for n, _w in mapped.priorities}:
                        mapped.priorities.append(
                            (name, f"{where}.items[{iindex}].additionalClassifications[{cindex}]"))
        implementation = contract.get("implementation") or {}
        if "value" not in fields:
            problems.append(Problem(f"{where}.value", _("No value is published for this contract: a new contract "
                                                        "gets 0 until the city enters it."), error=False))
        # The milestones of the implementation, then the contract's own (OCDS 1.1 has both).
        listed = [(f"{where}.implementation.milestones[{n}]", m) for n, m in enumerate(implementation.get("milestones") or [])]
        seen = {str(m.get("id")) for _w, m in listed}
        listed += [(f"{where}.milestones[{n}]", m) for n, m in enumerate(contract.get("milestones") or [])
                   if isinstance(m, dict) and str(m.get("id")) not in seen]
        for mindex, (mwhere, milestone) in enumerate(listed):
            due = parse_date(milestone.get("dueDate")) or parse_date(milestone.get("dateMet"))
            if due is None:
                problems.append(Problem(mwhere, _("The milestone has no due date: skipped."), error=False))
                continue
            state = MILESTONE_STATUS_MAP.get(milestone.get("status"), "scheduled")
            description = _text(milestone.get("description"))
            description = description.replace(" Payment is linked to this milestone.", "").replace(
                "Payment is linked to this milestone.", "")
            mapped.milestones.append({
                "ocds_id": str(milestone.get("id") or mindex)[:MAX_KEY],
                "title": (_text(milestone.get("title")) or _("Milestone %(n)s", n=mindex + 1))[:255],
                "description": re.sub(r" ?Partially met on \d{4}-\d\d-\d\d\.$", "", description),
                "due_date": due,
                "milestone_type": milestone.get("type") if milestone.get("type") in MILESTONE_TYPES else "delivery",
                "status": state,
                "completed_on": parse_date(milestone.get("dateMet")) or (
                    date.fromisoformat(partial[1]) if (partial := re.search(r"Partially met on (\d{4}-\d\d-\d\d)\.",
                                                                              description)) else None),
                "payment_linked": "Payment is linked to this milestone." in _text(milestone.get("description")),
            })
        for tindex, transaction in enumerate(implementation.get("transactions") or []):
            twhere = f"{where}.implementation.transactions[{tindex}]"
            amount_obj = transaction.get("value") or {}
            amount = _decimal(amount_obj.get("amount"))
            paid_on = parse_date(transaction.get("date"))
            if amount is None or amount <= 0 or amount >= MAX_AMOUNT or paid_on is None:
                problems.append(Problem(twhere, _("The transaction has no positive amount or no date: skipped."),
                                        error=False))
                continue
            mapped.payments.append({"invoice_reference": str(transaction.get("id") or tindex)[:64],
                                    "paid_on": paid_on, "amount": amount})
        readings_by_metric = {}
        for mindex, metric in enumerate(implementation.get("metrics") or []):
            readings_by_metric.setdefault(str(metric.get("id") or mindex), []).extend(
                (f"{where}.implementation.metrics[{mindex}].observations[{oindex}]", o)
                for oindex, o in enumerate(metric.get("observations") or []) if isinstance(o, dict))
        for mindex, metric in enumerate(contract.get("agreedMetrics") or []):
            mwhere = f"{where}.agreedMetrics[{mindex}]"
            mapped.metrics.append(_map_metric(metric, mwhere, readings_by_metric.get(str(metric.get("id") or mindex), []),
                                              fields, problems))
        if not mapped.metrics and not fields.get("outcomes") and fields.get("status") == "active":
            fields["status"] = "draft"  # no goals yet
        out.append(mapped)
    return out


def _map_metric(metric, where, observed, contract_fields, problems):
    description = _text(metric.get("description"))
    unit = None
    baseline = baseline_date = target = low = high = None
    targets = []
    for oindex, observation in enumerate(metric.get("observations") or []):
        if not isinstance(observation, dict):
            continue
        measure = _measure(observation.get("measure"))
        if unit is None and isinstance(observation.get("unit"), dict):
            unit = _text(observation["unit"].get("name"), 40) or None
        dimensions = observation.get("dimensions") if isinstance(observation.get("dimensions"), dict) else {}
        kind = dimensions.get("observationType")
        period = observation.get("period") if isinstance(observation.get("period"), dict) else {}
        if measure is None or abs(measure) >= MAX_MEASURE:
            problems.append(Problem(f"{where}.observations[{oindex}].measure",
                                    _("is not a number: the observation is skipped."), error=False))
            continue
        if kind == "baseline":
            baseline, baseline_date = measure, parse_date(period.get("startDate"))
        elif kind == "target" and dimensions.get("targetBound") == "low":
            low = measure
        elif kind == "target" and dimensions.get("targetBound") == "high":
            high = measure
        elif kind == "target":
            oid = str(observation.get("id") or "")
            start = parse_date(period.get("startDate"))
            if re.search(r"-target-\d{4}-\d\d-\d\d$", oid) and start is not None:
                targets.append((start, measure))
            else:
                target = measure
    match = _DIRECTION.search(description)
    direction = cadence = None
    if match:
        labels = {str(label).lower(): code for code, label in DIRECTIONS.items()}
        direction = labels.get(match["direction"].strip().lower())
        cadence = {str(label).lower(): code for code, label in CADENCES.items()}.get(match["cadence"].lower())
        definition = description[:match.start()].strip()
    else:
        definition = description
    if direction is None:
        if low is not None or high is not None:
            direction = "range"
        elif target is not None and baseline is not None and target < baseline:
            direction = "decrease"
        elif target is not None and baseline is not None and target == baseline:
            direction = "maintain"
        else:
            direction = "increase"
    readings = []
    by_group = []  # (where, period start, dimension, group, value)
    ends = {}  # where -> period end, of the group values
    for owhere, observation in observed:
        dimensions = observation.get("dimensions") if isinstance(observation.get("dimensions"), dict) else {}
        named = {key: value for key, value in dimensions.items() if key != "observationType"}
        measure = _measure(observation.get("measure"))
        period = observation.get("period") if isinstance(observation.get("period"), dict) else {}
        start, end = parse_date(period.get("startDate")), parse_date(period.get("endDate"))
        if named:
            # A group's value ({"Council district": "District 7"}), as the export publishes a
            # count's values by group: a value of the period's reading, not a reading.
            dimension, group = next(iter(named.items())) if len(named) == 1 else (None, None)
            dimension, group = _text(dimension, 120), _text(group if isinstance(group, str) else None, 120)
            if not (dimension and group):
                problems.append(Problem(f"{owhere}.dimensions", _("A group's value should name one dimension and "
                                                                  "its group: skipped."), error=False))
            elif measure is None or measure < 0 or measure >= MAX_MEASURE or start is None:
                problems.append(Problem(owhere, _("The group's value has no number of zero or more, or no period: "
                                                  "skipped."), error=False))
            else:
                by_group.append((owhere, start, dimension, group, measure))
                ends[owhere] = end or start
            continue
        if measure is None or abs(measure) >= MAX_MEASURE or start is None:
            problems.append(Problem(owhere, _("The observation has no number or no period: skipped."), error=False))
            continue
        readings.append((start, end or start, measure))
        if unit is None and isinstance(observation.get("unit"), dict):
            unit = _text(observation["unit"].get("name"), 40) or None
    totals = {start for start, _end, _value in readings}
    # A period whose only value names a group ({"region": "National"}, as publishers qualify a
    # metric's every observation) has that value as its reading: there is no total to be a part of.
    alone = {}
    for entry in by_group:
        if entry[1] not in totals:
            alone.setdefault(entry[1], []).append(entry)
    for start, entries in alone.items():
        if len(entries) == 1:
            owhere, _start, _dimension, _group, value = entries[0]
            readings.append((start, ends[owhere], value))
            by_group.remove(entries[0])
    readings.sort(key=lambda reading: reading[0])
    totals = {start for start, _end, _value in readings}
    groups = {}  # period start -> {(dimension, group): (value, where)}
    dimension_names = []
    for owhere, start, dimension, group, value in by_group:
        if start not in totals:
            problems.append(Problem(owhere, _("The group's value has no total for its period: skipped."), error=False))
            continue
        groups.setdefault(start, {})[(dimension, group)] = (value, owhere)
        if dimension not in dimension_names:
            dimension_names.append(dimension)
    if cadence is None:
        cadence = _guess_cadence(readings)
    extra = {}
    if groups:
        # The export publishes the groups of counts only; a percentage's groups stand alone.
        extra["is_count"] = not re.search(r"percent|%", unit or "", re.I)
        # Where a count's groups fall short of its total (a publisher hid small groups): the
        # writer decides whether it can stay a count (Writer.count_or_not).
        total_of = {start: value for start, _end, value in readings}
        sums = {}
        for start, by_period in groups.items():
            for (dimension, _group), (value, _where) in by_period.items():
                sums[(start, dimension)] = sums.get((start, dimension), Decimal(0)) + value
        extra["short_of_total"] = [(dimension, start) for (start, dimension), total in sorted(sums.items())
                                   if total < total_of[start]]
    return {
        **extra,
        "dimensions": dimension_names, "groups": groups,
        "ocds_id": str(metric.get("id") or where)[:MAX_KEY],
        "name": (_text(metric.get("title")) or _("Metric"))[:200],
        "definition": definition,
        "unit": unit or "count",
        "direction": direction,
        "cadence": cadence,
        "baseline_value": baseline, "baseline_date": baseline_date,
        "target_value": target, "range_low": low, "range_high": high,
        "targets": targets, "readings": readings,
    }


def _guess_cadence(readings):
    if not readings:
        return "monthly"
    days = min((end - start).days for start, end, _v in readings)
    if days <= 7:
        return "weekly"
    if days <= 31:
        return "monthly"
    if days <= 92:
        return "quarterly"
    return "annually"


# --- the two passes ----------------------------------------------------------------------------


def _read(raw, encoding):
    check = ImportCheck()
    spool = _Spool()
    try:
        stream, check.encoding = open_utf8(raw, encoding)
        _read_releases(stream, check, spool)
    except OcdsFileError as error:
        spool.close()
        check.problems.append(Problem("", str(error)))
        return check, None
    if check.releases == 0 and check.ok:
        check.problems.append(Problem("", _("The file has no releases to import.")))
    return check, spool


def _mapped(spool, check):
    """Each OCDS contract of the spooled releases, compiled one ocid at a time."""
    for ocid, releases in spool.groups():
        path = releases[0][0] if len(releases) == 1 else f"ocid {ocid}"
        try:
            compiled = _compile([r for _p, r in releases])
        except Exception as error:  # ocdsmerge's own refusals (ids that are not strings, repeated ids)
            check.problems.append(Problem(path, _("The releases could not be compiled: %(detail)s",
                                                  detail=str(error)[:200])))
            continue
        yield from map_contracts(ocid, compiled, path, check.problems)


def check(raw, encoding=None, progress=None):
    """What importing the binary stream ``raw`` would do (an ImportCheck); writes nothing. Each
    contract to update is compared with what the register holds, as the import would: its
    outcome lists the changes, and one with none is "unchanged"."""
    result, spool = _read(raw, encoding)
    if spool is None:
        return result
    try:
        def checked():
            for mapped in _mapped(spool, result):
                if not mapped.skip:
                    _check_fields(mapped, result.problems)
                yield mapped

        _run(_Writer(None, utcnow(), result.problems, dry=True), checked(), result, progress)
    finally:
        spool.close()
    return result


def _check_fields(mapped, problems):
    import pycountry

    currency = mapped.fields.get("currency")
    if currency and pycountry.currencies.get(alpha_3=currency) is None:
        problems.append(Problem(f"{mapped.path}.value.currency",
                                _("%(currency)s is not an ISO 4217 currency code.", currency=currency)))


def _existing_keys():
    return {(o, c): i for o, c, i in db.session.execute(
        select(Contract.ocds_ocid, Contract.ocds_contract_id, Contract.id).where(Contract.ocds_ocid.is_not(None)))}


def _run(writer, mapped_contracts, result, progress=None):
    """Write (or, dry, compare) each mapped contract, a batch at a time; the outcomes go on
    ``result``."""
    existing = _existing_keys()
    # A check holds a smaller batch: it keeps every outcome, and its page may show thousands.
    for batch in _chunks(mapped_contracts, CHECK_BATCH if writer.dry else WRITE_BATCH):
        writer.preload([existing[(m.ocid, m.contract_id)] for m in batch if (m.ocid, m.contract_id) in existing])
        for mapped in batch:
            key = (mapped.ocid, mapped.contract_id)
            title = mapped.fields.get("title", "")
            if mapped.skip:
                result.outcomes.append(Outcome(*key, title, "skip", mapped.skip))
                continue
            contract = writer.loaded_contracts.get(existing[key]) if key in existing else None
            contract, action, changes = writer.write(mapped, contract)
            if contract is not None and contract.id is not None:
                existing[key] = contract.id
            result.outcomes.append(Outcome(*key, title, action, register_id=contract.id if contract else None,
                                           changes=changes))
            if progress:
                progress(1)


# How a value reads in a change: codes as their labels, dates and numbers as on the pages.
_CODES = {"status": STATUSES, "kind": KINDS, "payment_structure": PAYMENT_STRUCTURES,
          "procurement_method": PROCUREMENT_METHODS, "direction": DIRECTIONS, "cadence": CADENCES,
          "milestone_type": MILESTONE_TYPES}


def _shown(value, codes=None):
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (date, datetime)):
        return long_date(value)
    if isinstance(value, (int, Decimal)):
        return number(value)
    if codes and value in codes:
        return str(codes[value])
    text = " ".join(str(value).split())
    return text if len(text) <= 80 else text[:79] + "…"


class _Writer:
    """Writes mapped contracts into the register, or, ``dry``, only says what it would change:
    the same comparisons either way, so the preview says what the import does."""

    def __init__(self, actor, now, problems, dry=False):
        self.actor, self.now, self.problems, self.dry = actor, now, problems, dry
        self.vendors_by_identifier, self.vendors_by_name, self.vendors_by_id = {}, {}, {}
        for vendor in db.session.scalars(select(Vendor)):
            if vendor.identifier_scheme and vendor.identifier:
                self.vendors_by_identifier[(vendor.identifier_scheme, vendor.identifier)] = vendor
            self.vendors_by_name[vendor.name.lower()] = vendor
            self.vendors_by_id[vendor.id] = vendor
        self.departments = {d.name.lower(): d for d in db.session.scalars(select(Department))}
        self.references = set(db.session.scalars(select(Contract.reference)))
        # The city's dimensions by name: {name (lower case): [dimension (None: not yet created), {group name: group}]}.
        self.dimensions = {}
        for dimension in db.session.scalars(select(Dimension)):
            self.dimensions[dimension.name.lower()] = [dimension, {g.name: g for g in dimension.groups}]
        self.made = set()  # the dimensions this import makes (lower-case names)
        self.priorities = {p.name.lower(): p for p in db.session.scalars(select(Priority))}
        self.priority_names = {p.id: p.name for p in self.priorities.values()}
        self.unknown_priorities = set()  # names told about once
        self.vendors_created = 0
        self.filled = set()  # (vendor, field) filled in already (dry: as the import would)
        self.preload([])

    def _compare(self, obj, name, value, changes, what, codes=None, field_name=None):
        """Set ``obj.name`` to ``value`` (unless dry) when it differs, and say so in ``changes``."""
        old = getattr(obj, name)
        if old == value:
            return
        changes.append(Change(what, _shown(old, codes), _shown(value, codes), field_name or name))
        if not self.dry:
            setattr(obj, name, value)

    def vendor(self, data, changes):
        key = (data["identifier_scheme"], data["identifier"])
        vendor = self.vendors_by_identifier.get(key) if all(key) else None
        vendor = vendor or self.vendors_by_name.get(data["name"].lower())
        if vendor is None:
            vendor = Vendor(**data)
            if not self.dry:
                db.session.add(vendor)
                db.session.flush()
                record(self.actor, "create", vendor, after={"name": vendor.name},
                       summary=f"Created vendor {vendor.name} (OCDS import)")
            self.vendors_created += 1
            self.vendors_by_name[vendor.name.lower()] = vendor
            if all(key):
                self.vendors_by_identifier[key] = vendor
            return vendor
        for name, value in data.items():
            if value and name != "name" and getattr(vendor, name) in (None, "") and (id(vendor), name) not in self.filled:
                # Fill in what the city had not recorded.
                self.filled.add((id(vendor), name))
                changes.append(Change(_("Vendor %(vendor)s: %(field)s", vendor=vendor.name, field=label_for(name)),
                                      "—", _shown(value), "vendor"))
                if not self.dry:
                    setattr(vendor, name, value)
        return vendor

    def department(self, name):
        name = " ".join((name or _("Imported")).split())[:120]
        department = self.departments.get(name.lower())
        if department is None:
            department = Department(name=name)
            if not self.dry:
                db.session.add(department)
                db.session.flush()
            self.departments[name.lower()] = department
        return department

    def reference(self, mapped):
        wanted = mapped.fields.get("reference") or mapped.ocid[-64:]
        reference, n = wanted[:64], 1
        while reference in self.references:
            n += 1
            suffix = f"-{n}"
            reference = wanted[:64 - len(suffix)] + suffix
        self.references.add(reference)
        return reference

    def write(self, mapped, contract):
        """Create or update ``contract`` (None: create); returns (contract, action, changes):
        action create, update or unchanged, changes those of an update (Change). Dry: nothing is
        written, and a contract to create is None."""
        fields = dict(mapped.fields)
        fields.pop("reference", None) if contract is not None else None
        changes = []
        vendor = self.vendor(mapped.vendor, changes)
        department = self.department(mapped.department) if mapped.department or contract is None else None
        if contract is None:
            if self.dry:
                for metric in mapped.metrics:  # a file's groups that contradict their totals
                    metric = self.count_or_not(dict(metric))
                    self.group_values(None, metric["name"], metric.get("is_count", False), metric["dimensions"],
                                      metric["groups"], {s: (None, v) for s, _e, v in metric["readings"]}, [])
                self.link_priorities(None, mapped.priorities, new=True)  # its warnings
                return None, "create", []
            contract = Contract(
                reference=self.reference(mapped), ocds_ocid=mapped.ocid, ocds_contract_id=mapped.contract_id,
                kind="contract", currency="USD", value=Decimal(0), status="draft", payment_structure="fixed_price",
                is_public=True, health=rules.NO_DATA, health_updated_at=self.now,
                procurement_officer_id=self.actor.id if self.actor.role == PROCUREMENT_OFFICER else None,
            )
            fields.pop("reference", None)
            db.session.add(contract)
            action = "create"
        else:
            action = "update"
        currency = fields.get("currency") or contract.currency or "USD"
        for name, value in fields.items():
            if name == "value" and contract.value != value:
                changes.append(Change(label_for("value"), money(contract.value, contract.currency or currency),
                                      money(value, currency), "value"))
                if not self.dry:
                    contract.value = value
                continue
            self._compare(contract, name, value, changes, label_for(name), _CODES.get(name))
        if contract.vendor_id is None or contract.vendor_id != vendor.id:
            was = self.vendors_by_id.get(contract.vendor_id)
            changes.append(Change(label_for("vendor"), was.name if was else "—",
                                  vendor.name if vendor.id else _("%(vendor)s (a new vendor)", vendor=vendor.name),
                                  "vendor"))
            if not self.dry:
                contract.vendor = vendor
        if department is not None and contract.department_id != department.id:
            changes.append(Change(label_for("department"), contract.department or "—", department.name, "department"))
            if not self.dry:
                contract.department_row = department
                contract.department = department.name
        new = action == "create"  # a new contract has nothing to look up
        if not self.dry:
            db.session.flush()
        changes += self.link_priorities(contract, mapped.priorities, new)
        changes += self.milestones(contract, mapped.milestones, new)
        changes += self.payments(contract, mapped.payments, new)
        changes += self.metrics(contract, mapped.metrics, new)
        if action == "update" and not changes:
            return contract, "unchanged", []
        if self.dry:
            return contract, action, changes
        db.session.flush()
        db.session.expire(contract, ["metrics", "milestones"])
        status.refresh_contract(contract, self.now)
        record(self.actor, action, contract, after={"ocid": mapped.ocid, "ocds_contract_id": mapped.contract_id,
                                                    "changed": sorted({c.field for c in changes})},
               contract_id=contract.id,
               summary=f"{'Imported' if action == 'create' else 'Updated'} contract {contract.reference} from OCDS {mapped.ocid}")
        return contract, action, changes if action == "update" else []

    def link_priorities(self, contract, named, new=False):
        """Link ``contract`` to the city's priorities the file names (by name); a name the city
        has no priority of is a warning, once. Links are only added: a city's own links stay."""
        have = set() if new else self.loaded_priorities.get(contract.id, set())
        wanted = []
        for name, where in named:
            priority = self.priorities.get(name.lower())
            if priority is None:
                if name.lower() not in self.unknown_priorities:
                    self.unknown_priorities.add(name.lower())
                    self.problems.append(Problem(where, _(
                        "The city has no priority “%(name)s”: the contract is imported without it (link it to a "
                        "priority on its page, or add the priority first and import again).", name=name), error=False))
            elif priority.id not in have and priority not in wanted:
                wanted.append(priority)
        if not wanted:
            return []
        old = sorted(self.priority_names[i] for i in have if i in self.priority_names)
        change = Change(label_for("priorities"), ", ".join(old) or "—",
                        ", ".join(sorted(old + [p.name for p in wanted])), "priorities")
        if not self.dry:
            db.session.execute(insert(contract_priorities), [
                {"contract_id": contract.id, "priority_id": p.id} for p in wanted])
            db.session.expire(contract, ["priorities"])
        return [change]

    def milestones(self, contract, milestones, new=False):
        existing = {} if new else self.loaded_milestones.get(contract.id, {})
        changes = []
        for data in milestones:
            milestone = existing.get(data["ocds_id"])
            if milestone is None:
                changes.append(Change(_("Milestone “%(title)s”", title=data["title"]), None,
                                      _("due %(date)s", date=long_date(data["due_date"])), "milestones"))
                if not self.dry:
                    db.session.add(Milestone(contract_id=contract.id, **data))
                continue
            for name, value in data.items():
                if name == "ocds_id":
                    continue
                self._compare(milestone, name, value, changes,
                              _("Milestone “%(title)s”: %(field)s", title=milestone.title, field=label_for(name)),
                              MILESTONE_STATUSES if name == "status" else _CODES.get(name), "milestones")
        return changes

    def payments(self, contract, payments, new=False):
        existing = {} if new else self.loaded_payments.get(contract.id, {})
        changes = []
        currency = contract.currency or "USD"

        def paid(amount, on):
            return _("%(amount)s on %(date)s", amount=money(amount, currency), date=long_date(on))

        for data in payments:
            payment = existing.get(data["invoice_reference"])
            what = _("Payment %(reference)s", reference=data["invoice_reference"])
            if payment is None:
                changes.append(Change(what, None, paid(data["amount"], data["paid_on"]), "payments"))
                if not self.dry:
                    db.session.add(Payment(contract_id=contract.id, recorded_by_id=self.actor.id,
                                           note=_("Imported from open contracting data."), **data))
            elif payment.voided_at is None and (payment.paid_on, payment.amount) != (data["paid_on"], data["amount"]):
                changes.append(Change(what, paid(payment.amount, payment.paid_on), paid(data["amount"], data["paid_on"]),
                                      "payments"))
                if not self.dry:
                    payment.paid_on, payment.amount = data["paid_on"], data["amount"]
        return changes

    def metrics(self, contract, metrics, new=False):
        existing = {} if new else self.loaded_metrics.get(contract.id, {})
        changes = []
        for position, data in enumerate(metrics):
            data = dict(data)
            metric = existing.get(data["ocds_id"])
            if metric is None:
                data = self.count_or_not(data)
            data.pop("short_of_total", None)
            targets, readings = data.pop("targets"), data.pop("readings")
            dimension_names, groups = data.pop("dimensions"), data.pop("groups")
            before = len(changes)
            if metric is not None:
                data.pop("is_count", None)  # the city's say, once the metric is in the register
            if metric is None:
                changes.append(Change(_("Metric “%(name)s”", name=data["name"]), None,
                                      _("with %(count)s", count=plural(len(readings), "reading")), "metrics"))
                if self.dry:
                    self.group_values(None, data["name"], data.get("is_count", False), dimension_names, groups,
                                      {s: (None, v) for s, _e, v in readings}, changes)
                    continue
                metric = Metric(contract_id=contract.id, position=position, **data)
                db.session.add(metric)
                db.session.flush()
                have_targets, have_readings = {}, {}
            else:
                for name, value in data.items():
                    if name == "ocds_id":
                        continue
                    self._compare(metric, name, value, changes,
                                  _("Metric “%(name)s”: %(field)s", name=metric.name, field=label_for(name)),
                                  _CODES.get(name), "metrics")
                have_targets = self.loaded_targets.get(metric.id, {})
                have_readings = self.loaded_readings.get(metric.id, {})
            name = data["name"]
            for start, value in targets:
                target = have_targets.get(start)
                what = _("Metric “%(name)s”: target for %(period)s", name=name, period=long_date(start))
                if target is None:
                    changes.append(Change(what, None, _shown(value), "targets"))
                    if not self.dry:
                        db.session.add(MetricTarget(metric_id=metric.id, period_start=start, value=value))
                elif target.value != value:
                    changes.append(Change(what, _shown(target.value), _shown(value), "targets"))
                    if not self.dry:
                        target.value = value
            totals = {}
            for start, end, value in readings:
                reading = have_readings.get(start)
                totals[start] = (reading, value)
                what = _("Metric “%(name)s”: reading for %(period)s", name=name, period=long_date(start))
                if reading is None:
                    changes.append(Change(what, None, _shown(value), "readings"))
                    if not self.dry:
                        reading = Reading(metric_id=metric.id, period_start=start, period_end=max(end, start),
                                          value=value, status=rules.NO_DATA, recorded_by_id=self.actor.id,
                                          recorded_at=self.now, note="")
                        db.session.add(reading)
                        totals[start] = (reading, value)
                elif reading.value != value:
                    changes.append(Change(what, _shown(reading.value), _shown(value), "readings"))
                    if not self.dry:
                        # A correction keeps the value it replaces, as the reading services do.
                        db.session.add(ReadingRevision(
                            reading_id=reading.id, value=reading.value, note=reading.note, status=reading.status,
                            recorded_by_id=reading.recorded_by_id, recorded_at=reading.recorded_at,
                            replaced_by_id=self.actor.id, replaced_at=self.now, version=reading.version,
                            submitted_by_id=reading.submitted_by_id, verified_by_id=reading.verified_by_id,
                            group_values=group_values_snapshot(self.loaded_group_values.get(reading.id, {})) or None))
                        reading.value = value
                        reading.version += 1
                        reading.recorded_by_id, reading.recorded_at = self.actor.id, self.now
            if groups:
                if not self.dry:
                    db.session.flush()  # the new readings' ids
                self.group_values(metric, name, metric.is_count, dimension_names, groups, totals, changes)
            if len(changes) > before and not self.dry:
                db.session.flush()
                db.session.expire(metric, ["readings", "targets"])
                status.reevaluate_readings(metric)
        return changes

    def count_or_not(self, data):
        """A new metric's ``data`` with ``is_count`` false where its groups fall short of the
        total in a dimension the import makes from the file (it has only the groups the file
        names, so the reading services would refuse the next edit of such a reading), with a
        warning; where the city has the dimension, a shortfall is the count rule's (an error
        when all its groups are given)."""
        short = [(dimension, start) for dimension, start in data.get("short_of_total") or ()
                 if dimension.lower() not in self.dimensions or dimension.lower() in self.made]
        if data.get("is_count") and short:
            data["is_count"] = False
            dimension, start = short[0]
            self.problems.append(Problem(first_path({start: data["groups"][start]}, dimension), _(
                "The values by %(dimension)s add up to less than the total (%(period)s, and %(n)s more): the metric "
                "“%(name)s” is imported as not a count, its groups independent of the total. Tick “A count” on it "
                "once the city has all the groups.", dimension=dimension, period=long_date(start), n=len(short) - 1,
                name=data["name"]), error=False))
        data.pop("short_of_total", None)
        return data

    def group_values(self, metric, name, is_count, dimension_names, groups, totals, changes):
        """The groups' values of the readings of ``metric`` (None: a metric to create, dry) from
        the file's ``groups`` ({period start: {(dimension, group): (value, where)}}; ``totals``:
        {period start: (reading or None, the file's total)}): the dimensions
        and groups made by name where the city has none, the metric's dimensions added, each
        reading's values compared and written. A count whose groups contradict their total (the
        rule the reading services enforce) is a problem at the total's JSON path."""
        if not groups:
            return
        # The dimension and groups each value goes to, made (unless dry) where missing.
        for dimension_name in dimension_names:
            if dimension_name.lower() not in self.dimensions:
                self.dimensions[dimension_name.lower()] = [None, {}]
                self.made.add(dimension_name.lower())
                self.problems.append(Problem(first_path(groups, dimension_name), _(
                    "The city has no dimension “%(dimension)s”: it will be made with the groups this file names. "
                    "Add any group the file leaves out (a publisher may hide small groups).",
                    dimension=dimension_name), error=False))
            entry = self.dimensions[dimension_name.lower()]
            wanted = [g for by_period in groups.values() for (d, g) in by_period if d == dimension_name]
            for group_name in wanted:
                if group_name not in entry[1]:
                    entry[1][group_name] = None
            if not self.dry:
                if entry[0] is None:
                    entry[0] = Dimension(name=dimension_name)
                    db.session.add(entry[0])
                    db.session.flush()
                    record(self.actor, "create", entry[0], after={"name": dimension_name},
                           summary=f"Added dimension {dimension_name} (OCDS import)")
                for position, (group_name, group) in enumerate(list(entry[1].items())):
                    if group is None:
                        group = DimensionGroup(dimension_id=entry[0].id, name=group_name, position=position)
                        db.session.add(group)
                        entry[1][group_name] = group
                db.session.flush()
        if metric is not None:
            have = {d.name.lower() for d in self.loaded_dimensions.get(metric.id, ())}
            missing = [d for d in dimension_names if d.lower() not in have]
            if missing:
                changes.append(Change(_("Metric “%(name)s”: %(field)s", name=name, field=label_for("dimensions")),
                                      ", ".join(sorted(d.name for d in self.loaded_dimensions.get(metric.id, ()))) or "—",
                                      ", ".join(missing), "metrics"))
                if not self.dry:
                    metric.dimensions = list(metric.dimensions) + [self.dimensions[d.lower()][0] for d in missing]
        for start, by_group in sorted(groups.items()):
            reading, total = totals.get(start, (None, None))
            stored = self.loaded_group_values.get(reading.id, {}) if reading is not None and reading.id else {}
            merged = {}  # (dimension lower, group) -> value: the stored values, then the file's
            names_by_id = {}
            for dimension_lower, (_dimension, members) in self.dimensions.items():
                for group_name, group in members.items():
                    if group is not None and group.id in stored:
                        merged[(dimension_lower, group_name)] = stored[group.id]
                    if group is not None:
                        names_by_id[group.id] = group_name
            first_where = None
            for (dimension, group_name), (value, where) in by_group.items():
                merged[(dimension.lower(), group_name)] = value
                first_where = first_where or where
            if is_count and total is not None:
                problem = _contradiction(dimension_names, self.dimensions, merged, total, self.made)
                if problem:
                    self.problems.append(Problem(first_where, problem))
                    continue
            if metric is None or reading is None:
                continue
            what = _("Metric “%(name)s”: %(period)s by group", name=name, period=long_date(start))
            wanted = {}
            for (dimension, group_name), (value, _where) in by_group.items():
                group = self.dimensions[dimension.lower()][1][group_name]
                key = group.id if group is not None else None
                if key is None or stored.get(key) != value:
                    old = stored.get(key) if key is not None else None
                    changes.append(Change(f"{what}, {group_name}", _shown(old) if old is not None else None,
                                          _shown(value), "group_values"))
                if group is not None:
                    wanted[group.id] = value
            if not self.dry and any(stored.get(k) != v for k, v in wanted.items()):
                write_group_values(reading.id, {**stored, **wanted}, replace=True)

    def preload(self, contract_ids):
        """The batch's existing contracts and what the import compares with, one query per table."""
        self.loaded_contracts = {c.id: c for c in db.session.scalars(
            select(Contract).where(Contract.id.in_(contract_ids)))} if contract_ids else {}
        self.loaded_milestones, self.loaded_payments, self.loaded_metrics = {}, {}, {}
        self.loaded_targets, self.loaded_readings = {}, {}
        self.loaded_group_values, self.loaded_dimensions = {}, {}
        self.loaded_priorities = {}
        if not contract_ids:
            return
        for contract_id, priority_id in db.session.execute(
                select(contract_priorities.c.contract_id, contract_priorities.c.priority_id)
                .where(contract_priorities.c.contract_id.in_(contract_ids))):
            self.loaded_priorities.setdefault(contract_id, set()).add(priority_id)
        for milestone in db.session.scalars(select(Milestone).where(
                Milestone.contract_id.in_(contract_ids), Milestone.ocds_id.is_not(None))):
            self.loaded_milestones.setdefault(milestone.contract_id, {})[milestone.ocds_id] = milestone
        for payment in db.session.scalars(select(Payment).where(Payment.contract_id.in_(contract_ids))):
            self.loaded_payments.setdefault(payment.contract_id, {})[payment.invoice_reference] = payment
        metric_ids = []
        for metric in db.session.scalars(select(Metric).where(
                Metric.contract_id.in_(contract_ids), Metric.ocds_id.is_not(None))):
            self.loaded_metrics.setdefault(metric.contract_id, {})[metric.ocds_id] = metric
            metric_ids.append(metric.id)
        if metric_ids:
            for target in db.session.scalars(select(MetricTarget).where(MetricTarget.metric_id.in_(metric_ids))):
                self.loaded_targets.setdefault(target.metric_id, {})[target.period_start] = target
            for reading in db.session.scalars(select(Reading).where(Reading.metric_id.in_(metric_ids))):
                self.loaded_readings.setdefault(reading.metric_id, {})[reading.period_start] = reading
            for reading_id, group_id, value in db.session.execute(
                    select(ReadingGroupValue.reading_id, ReadingGroupValue.group_id, ReadingGroupValue.value)
                    .join(Reading, Reading.id == ReadingGroupValue.reading_id).where(Reading.metric_id.in_(metric_ids))):
                self.loaded_group_values.setdefault(reading_id, {})[group_id] = value
            by_id = {entry[0].id: entry[0] for entry in self.dimensions.values() if entry[0] is not None}
            for metric_id, dimension_id in db.session.execute(
                    select(metric_dimensions.c.metric_id, metric_dimensions.c.dimension_id)
                    .where(metric_dimensions.c.metric_id.in_(metric_ids))):
                if dimension_id in by_id:
                    self.loaded_dimensions.setdefault(metric_id, []).append(by_id[dimension_id])


def first_path(groups, dimension_name):
    """The JSON path of the first value of ``dimension_name``'s groups in ``groups``."""
    return next(where for _start, by_group in sorted(groups.items())
                for (dimension, _group), (_value, where) in by_group.items() if dimension == dimension_name)


def _contradiction(dimension_names, dimensions, merged, total, made=()):
    """The reading services' count rule (dimensions.services.check_group_values) on one
    reading's group values as the import would leave them: its message, or None. A dimension
    the import ``made`` from the file may lack groups the file left out, so there only groups
    that add up to more than the total contradict it (a count's parts cannot exceed it)."""
    from types import SimpleNamespace

    ids, values, fake_dimensions = {}, {}, []
    for dimension_name in dimension_names:
        _dimension, members = dimensions[dimension_name.lower()]
        if dimension_name.lower() in made:
            given = [g for g in members if (dimension_name.lower(), g) in merged]
            if sum((merged[(dimension_name.lower(), g)] for g in given), Decimal(0)) <= Decimal(total):
                continue
            members = given
        fake_groups = []
        for group_name in members:
            ids[(dimension_name.lower(), group_name)] = len(ids) + 1
            fake_groups.append(SimpleNamespace(id=len(ids), name=group_name))
        fake_dimensions.append(SimpleNamespace(name=dimension_name, groups=fake_groups))
    for key, value in merged.items():
        if key in ids:
            values[ids[key]] = value
    try:
        check_group_values(SimpleNamespace(is_count=True, dimensions=fake_dimensions), total, values)
    except GroupValueError as error:
        return error.message
    return None


def _chunks(iterable, size):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def import_stream(raw, actor, encoding=None, filename="", now=None, progress=None, upload=None):
    """Check the binary stream ``raw`` and, when it has no errors, write it in one transaction
    (audited as ``actor``, with the ImportUpload ``upload`` or a new one of kind "ocds").
    Returns the ImportCheck, its outcomes saying what was done; with errors nothing was written,
    and when nothing would change (everything unchanged or left out) nothing is written either,
    not even the import's audit event."""
    from contracts_app.imports.models import OCDS, ImportUpload

    now = now or utcnow()
    result, spool = _read(raw, encoding)
    if spool is None:
        return result
    try:
        # Check everything before writing anything: a problem anywhere and nothing is written.
        for mapped in _mapped(spool, result):
            if not mapped.skip:
                _check_fields(mapped, result.problems)
        if not result.ok:
            db.session.rollback()  # the caller's claim of a staged upload, if any
            return result
        writer = _Writer(actor, now, result.problems)
        _run(writer, _mapped(spool, ImportCheck()), result, progress)
        if not result.ok:
            # Found while writing (groups that contradict their totals): nothing stays.
            db.session.rollback()
            result.outcomes = []
            return result
        if not (result.count("create") or result.count("update")):
            db.session.rollback()
            return result
        if upload is None:
            upload = ImportUpload(uploaded_by_id=actor.id, kind=OCDS, filename=filename[:255],
                                  encoding=result.encoding, content="")
            db.session.add(upload)
        upload.committed_at = now
        upload.contracts_created = result.count("create")
        upload.metrics_created = None
        record(actor, "import", upload, after={
            "filename": filename, "format": "ocds", "created": result.count("create"),
            "updated": result.count("update"), "unchanged": result.count("unchanged"),
            "skipped": result.count("skip"), "vendors_created": writer.vendors_created,
        }, summary=f"Imported open contracting data from {filename or 'a file'}: {result.count('create')} created, "
                   f"{result.count('update')} updated, {result.count('unchanged')} unchanged")
        db.session.commit()
    except IntegrityError:
        # Someone imported or entered the same contract, vendor or payment meanwhile: the unique
        # constraints refused ours, and nothing of the file was written.
        db.session.rollback()
        result.outcomes = []
        result.problems.append(Problem("", _("Someone changed the same contracts while this file was being "
                                             "imported; nothing was imported. Try again.")))
    except Exception:
        db.session.rollback()
        raise
    finally:
        spool.close()
    return result


__all__ = ["OcdsFileError", "ImportCheck", "Problem", "Outcome", "Change", "check", "import_stream", "open_utf8",
           "upgrade_10", "check_release"]
