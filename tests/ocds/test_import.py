"""The OCDS import (contracts_app.ocds.importer): the project's own export round trip, published
examples, OCDS 1.0, encodings, re-import idempotence, streaming and the bad inputs."""
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.contracts.models import Contract, Department, Vendor
from contracts_app.extensions import db
from contracts_app.metrics.models import Metric, MetricTarget, Reading
from contracts_app.milestones.models import Milestone
from contracts_app.ocds import importer
from contracts_app.spend.models import Payment
from tests import factories

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ocds"


def officer():
    return factories.make_users(["procurement_officer"])["procurement_officer"]


def as_bytes(data, encoding="utf-8"):
    return io.BytesIO(json.dumps(data).encode(encoding) if not isinstance(data, bytes) else data)


def run(data, actor=None, **kw):
    return importer.import_stream(as_bytes(data) if not hasattr(data, "read") else data, actor or officer(), **kw)


def counts():
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Contract, Vendor, Department, Milestone, Metric, MetricTarget, Reading, Payment)}


def release(ocid="ocds-test-1", **extra):
    base = {
        "ocid": ocid, "id": f"{ocid}-1", "date": "2026-03-01T00:00:00Z", "tag": ["contract"],
        "initiationType": "tender",
        "parties": [
            {"id": "b1", "name": "Parks Department", "roles": ["buyer"]},
            {"id": "s1", "name": "Green Streets Ltd", "identifier": {"scheme": "GB-COH", "id": "0123"},
             "roles": ["supplier"]},
        ],
        "buyer": {"id": "b1", "name": "Parks Department"},
        "awards": [{"id": "a1", "date": "2026-01-10T00:00:00Z", "suppliers": [{"id": "s1", "name": "Green Streets Ltd"}]}],
        "contracts": [{
            "id": "c1", "awardID": "a1", "title": "Street cleaning", "status": "active",
            "value": {"amount": 120000, "currency": "USD"},
            "period": {"startDate": "2026-02-01T00:00:00-05:00", "endDate": "2027-01-31T23:59:59-05:00"},
            "dateSigned": "2026-01-20T00:00:00-05:00",
            "implementation": {
                "milestones": [{"id": "m1", "title": "Mobilised", "dueDate": "2026-02-28T23:59:59-05:00",
                                "status": "met", "dateMet": "2026-02-20T00:00:00-05:00"}],
                "transactions": [{"id": "t1", "date": "2026-03-01T00:00:00Z", "value": {"amount": 10000, "currency": "USD"}}],
            },
        }],
    }
    base.update(extra)
    return base


def package(*releases, version="1.1"):
    return {"uri": "https://example.org/p.json", "version": version, "publishedDate": "2026-03-02T00:00:00Z",
            "publisher": {"name": "Example"}, "releases": list(releases)}


def test_a_release_package_becomes_contracts_vendors_milestones_and_payments(app):
    actor = officer()
    result = run(package(release()), actor)
    assert result.ok, result.problems
    assert [o.action for o in result.outcomes] == ["create"]
    contract = db.session.scalar(select(Contract))
    assert (contract.title, contract.value, contract.currency) == ("Street cleaning", Decimal("120000"), "USD")
    assert (contract.start_date, contract.end_date, contract.signed_on, contract.awarded_on) == (
        date(2026, 2, 1), date(2027, 1, 31), date(2026, 1, 20), date(2026, 1, 10))
    assert contract.status == "draft"  # no goals yet
    assert (contract.ocds_ocid, contract.ocds_contract_id) == ("ocds-test-1", "c1")
    assert contract.department == "Parks Department"
    assert (contract.vendor.name, contract.vendor.identifier_scheme, contract.vendor.identifier) == (
        "Green Streets Ltd", "GB-COH", "0123")
    [milestone] = contract.milestones
    assert (milestone.title, milestone.status, milestone.completed_on) == ("Mobilised", "met", date(2026, 2, 20))
    [payment] = db.session.scalars(select(Payment)).all()
    assert (payment.amount, payment.paid_on, payment.invoice_reference) == (Decimal("10000"), date(2026, 3, 1), "t1")
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert {e.actor_id for e in events} == {actor.id}
    assert [e.action for e in events][-1] == "import"
    assert any(e.entity_type == "contract" and e.action == "create" for e in events)


def test_importing_twice_updates_in_place_and_never_duplicates(app):
    actor = officer()
    assert run(package(release()), actor).ok
    before = counts()
    again = run(package(release()), actor)
    assert [o.action for o in again.outcomes] == ["unchanged"]
    assert counts() == before
    newer = release(id="ocds-test-1-2", date="2026-04-01T00:00:00Z")
    newer["contracts"][0]["value"]["amount"] = 130000
    newer["contracts"][0]["implementation"]["milestones"].append(
        {"id": "m2", "title": "First report", "dueDate": "2026-04-30T00:00:00Z", "status": "scheduled"})
    result = run(package(release(), newer), actor)
    assert [o.action for o in result.outcomes] == ["update"]
    after = counts()
    assert after["Contract"] == 1 and after["Milestone"] == 2 and after["Vendor"] == 1 and after["Payment"] == 1
    assert db.session.scalar(select(Contract.value)) == Decimal("130000")


def test_local_edits_to_fields_the_file_does_not_carry_are_kept(app):
    actor = officer()
    run(package(release()), actor)
    contract = db.session.scalar(select(Contract))
    contract.problem = "Litter on the high street"
    contract.payment_structure = "performance_based"
    contract.reference = "PARKS-7"
    db.session.commit()
    newer = release(id="x-2", date="2026-05-01T00:00:00Z")
    newer["contracts"][0]["title"] = "Street cleaning (renewed)"
    assert run(package(newer), actor).ok
    db.session.expire_all()
    contract = db.session.scalar(select(Contract))
    assert contract.title == "Street cleaning (renewed)"
    assert (contract.problem, contract.payment_structure, contract.reference) == (
        "Litter on the high street", "performance_based", "PARKS-7")


def test_a_supplier_is_matched_on_identifier_then_name(app):
    actor = officer()
    by_identifier = factories.make_vendor(name="GSL", identifier_scheme="GB-COH", identifier="0123")
    by_name = factories.make_vendor(name="Clean Co")
    other = release("ocds-test-2")
    other["parties"][1] = {"id": "s2", "name": "clean co", "roles": ["supplier"]}
    other["awards"][0]["suppliers"] = [{"id": "s2", "name": "clean co"}]
    assert run(package(release(), other), actor).ok
    vendors = dict(db.session.execute(select(Contract.ocds_ocid, Contract.vendor_id)).all())
    assert vendors == {"ocds-test-1": by_identifier.id, "ocds-test-2": by_name.id}
    assert counts()["Vendor"] == 2


def test_a_check_writes_nothing_and_says_what_would_happen(app):
    actor = officer()
    run(package(release()), actor)
    before = counts()
    cancelled = release("ocds-test-3")
    cancelled["contracts"][0]["status"] = "cancelled"
    result = importer.check(as_bytes(package(release(), release("ocds-test-2"), cancelled)))
    assert result.ok
    assert [(o.ocid, o.action) for o in result.outcomes] == [
        ("ocds-test-1", "unchanged"), ("ocds-test-2", "create"), ("ocds-test-3", "skip")]
    assert counts() == before


def test_the_check_lists_what_an_update_changes_in_words(app):
    actor = officer()
    run(package(with_metric(release())), actor)
    newer = with_metric(release(id="x-2", date="2026-05-01T00:00:00Z"), placed=35)
    contract = newer["contracts"][0]
    contract["value"]["amount"] = 130000
    contract["status"] = "terminated"
    contract["implementation"]["milestones"][0]["dueDate"] = "2026-03-15T23:59:59-05:00"
    contract["implementation"]["milestones"].append(
        {"id": "m2", "title": "First report", "dueDate": "2026-04-30T00:00:00Z", "status": "scheduled"})
    contract["implementation"]["transactions"][0]["value"]["amount"] = 12000
    before = counts()
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    result = importer.check(as_bytes(package(newer)))
    assert result.ok, result.problems
    [outcome] = result.outcomes
    assert outcome.action == "update"
    assert [str(c) for c in outcome.changes] == [
        "Value: $120,000 → $130,000",
        "Status: Active → Completed",
        "Milestone “Mobilised”: Due: 28 Feb 2026 → 15 Mar 2026",
        "Milestone “First report”: due 30 Apr 2026 (new)",
        "Payment t1: $10,000 on 1 Mar 2026 → $12,000 on 1 Mar 2026",
        "Metric “Blocks cleaned”: reading for 1 Feb 2026: 30 → 35",
    ]
    assert counts() == before
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
    # The import does what the check said.
    done = run(package(newer), actor)
    assert [str(c) for c in done.outcomes[0].changes] == [str(c) for c in outcome.changes]
    assert importer.check(as_bytes(package(newer))).outcomes[0].action == "unchanged"


def test_re_importing_the_same_file_writes_nothing_not_even_an_audit_event(app):
    from contracts_app.imports.models import ImportUpload

    actor = officer()
    data = package(with_metric(release()), release("ocds-test-2"))
    assert run(data, actor).ok
    before = counts()
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    uploads = db.session.scalar(select(func.count()).select_from(ImportUpload))
    preview = importer.check(as_bytes(data))
    assert [(o.action, o.changes) for o in preview.outcomes] == [("unchanged", []), ("unchanged", [])]
    again = run(data, actor)
    assert again.ok and [o.action for o in again.outcomes] == ["unchanged", "unchanged"]
    assert counts() == before
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == uploads


def test_a_vendor_change_and_a_new_vendor_are_named(app):
    actor = officer()
    run(package(release()), actor)
    other = release(id="x-2", date="2026-05-01T00:00:00Z")
    other["parties"][1] = {"id": "s9", "name": "Tidy Town Co", "roles": ["supplier"]}
    other["awards"][0]["suppliers"] = [{"id": "s9", "name": "Tidy Town Co"}]
    [outcome] = importer.check(as_bytes(package(other))).outcomes
    assert [str(c) for c in outcome.changes] == ["Vendor: Green Streets Ltd → Tidy Town Co (a new vendor)"]
    assert counts()["Vendor"] == 1


def test_an_award_with_several_suppliers_takes_the_first_and_says_which_it_did_not(app):
    item = release()
    item["parties"] += [{"id": "s2", "name": "Broom & Sons", "roles": ["supplier"]},
                        {"id": "s3", "name": "Kerbside Ltd", "roles": ["supplier"]}]
    item["awards"][0]["suppliers"] += [{"id": "s2", "name": "Broom & Sons"}, {"id": "s3"}]
    preview = importer.check(as_bytes(package(item)))
    assert preview.ok
    assert [str(w) for w in preview.warnings] == [
        "releases[0].awards[0].suppliers: The award names 3 suppliers, and a contract in the register has one "
        "vendor: Green Streets Ltd is taken; not Broom & Sons, Kerbside Ltd."]
    assert run(package(item)).ok
    assert db.session.scalar(select(Contract)).vendor.name == "Green Streets Ltd"
    assert counts()["Vendor"] == 1


def test_releases_are_compiled_per_ocid(app):
    tender = {"ocid": "ocds-test-1", "id": "t", "date": "2026-01-01T00:00:00Z", "tag": ["tender"],
              "tender": {"id": "t1", "procurementMethod": "open", "numberOfTenderers": 4}}
    result = run(package(tender, release()))
    assert result.ok and len(result.outcomes) == 1
    contract = db.session.scalar(select(Contract))
    assert (contract.procurement_method, contract.bids_received) == ("open", 4)


def test_a_record_package_and_json_lines(app):
    actor = officer()
    records = {"version": "1.1", "records": [{"ocid": "ocds-test-1", "releases": [release()]},
                                            {"ocid": "ocds-test-2", "compiledRelease": release("ocds-test-2")}]}
    assert run(records, actor).ok
    lines = "\n".join(json.dumps(package(release(f"ocds-line-{n}"))) for n in range(3)).encode()
    result = run(io.BytesIO(lines), actor)
    assert result.ok, result.problems
    assert counts()["Contract"] == 5


def test_ocds_1_0_data_is_upgraded(app):
    old = release()
    del old["parties"]
    old["buyer"] = {"name": "Parks Department", "identifier": {"scheme": "X", "id": "parks"}}
    old["awards"][0]["suppliers"] = [{"name": "Green Streets Ltd", "identifier": {"scheme": "GB-COH", "id": "0123"},
                                      "address": {"locality": "Springfield"}}]
    old["contracts"][0]["implementation"]["transactions"] = [
        {"id": "t1", "date": "2026-03-01T00:00:00Z", "amount": {"amount": 500, "currency": "USD"},
         "receiverOrganization": {"name": "Green Streets Ltd"}}]
    result = run(package(old, version="1.0"))
    assert result.ok, result.problems
    contract = db.session.scalar(select(Contract))
    assert contract.department == "Parks Department"
    assert (contract.vendor.name, contract.vendor.identifier, contract.vendor.locality) == (
        "Green Streets Ltd", "0123", "Springfield")
    assert db.session.scalar(select(Payment.amount)) == Decimal("500")


def test_upgrade_10_makes_parties_with_roles():
    old = {"ocid": "o", "buyer": {"name": "City"}, "tender": {"tenderers": [{"name": "A"}, {"name": "B"}]},
           "awards": [{"id": "1", "suppliers": [{"name": "A"}]}]}
    new = importer.upgrade_10(old)
    assert {p["name"]: p["roles"] for p in new["parties"]} == {"City": ["buyer"], "A": ["tenderer", "supplier"],
                                                               "B": ["tenderer"]}
    assert new["awards"][0]["suppliers"] == [{"id": "name-a", "name": "A"}]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-32"])
def test_a_file_with_a_byte_order_mark(app, encoding):
    data = package(release())
    data["releases"][0]["contracts"][0]["title"] = "Limpieza de calles – Año 2026"
    result = run(io.BytesIO(json.dumps(data, ensure_ascii=False).encode(encoding)))
    assert result.ok, result.problems
    assert db.session.scalar(select(Contract.title)) == "Limpieza de calles – Año 2026"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_utf_16_and_32_without_a_byte_order_mark(app, encoding):
    data = package(release())
    data["releases"][0]["contracts"][0]["title"] = "Nettoyage des rues – été"
    result = run(io.BytesIO(json.dumps(data, ensure_ascii=False).encode(encoding)))
    assert result.ok, result.problems
    assert result.encoding == encoding[:6]
    assert db.session.scalar(select(Contract.title)) == "Nettoyage des rues – été"


def test_a_latin_1_file_declared_or_detected(app):
    data = package(release())
    data["releases"][0]["contracts"][0]["title"] = "Señalización de la vía pública, Peñalolén"
    raw = json.dumps(data, ensure_ascii=False).encode("latin-1")
    result = run(io.BytesIO(raw), encoding="latin-1")
    assert result.ok, result.problems
    assert result.encoding == "iso8859-1"
    assert db.session.scalar(select(Contract.title)) == "Señalización de la vía pública, Peñalolén"
    detected = importer.check(io.BytesIO(raw))
    assert detected.ok, detected.problems


def test_a_file_that_is_not_the_declared_encoding(app):
    raw = json.dumps(package(release("ocds-ü")), ensure_ascii=False).encode("latin-1")
    result = run(io.BytesIO(raw), encoding="utf-8")
    assert [str(p) for p in result.errors] == [
        "The file is not valid utf-8 text (invalid start byte)."]
    assert counts()["Contract"] == 0


# --- bad input: a clear message and nothing written -------------------------------------------


def errors_of(data):
    result = run(data if isinstance(data, (bytes, io.BytesIO)) else data)
    assert not result.ok
    assert counts()["Contract"] == 0 and counts()["Vendor"] == 0
    return [str(p) for p in result.errors]


def test_not_json(app):
    [message] = errors_of(io.BytesIO(b"<html>not json</html>"))
    assert message.startswith("The file is not JSON")


@pytest.mark.parametrize("raw", [b"", b"  \n", b"\xef\xbb\xbf"])
def test_empty_file(app, raw):
    assert errors_of(io.BytesIO(raw)) == ["The file is empty."]


@pytest.mark.parametrize("data", [{"hello": "world"}, [1, 2], "text", {"releases": "none"}])
def test_json_that_is_not_ocds(app, data):
    messages = errors_of(data)
    assert any("not OCDS" in m or "should be a list" in m for m in messages), messages


def test_a_release_with_no_ocid(app):
    bad = release()
    del bad["ocid"]
    assert errors_of(package(release("ocds-good"), bad)) == [
        "releases[1].ocid: The release has no ocid (the contracting process's id)."]


def test_amounts_that_are_not_numbers(app):
    bad = release()
    bad["contracts"][0]["value"]["amount"] = "120,000"
    bad["contracts"][0]["implementation"]["transactions"][0]["value"]["amount"] = True
    assert errors_of(package(bad)) == [
        'releases[0].contracts[0].value.amount: is not a number: "120,000".',
        "releases[0].contracts[0].implementation.transactions[0].value.amount: is not a number: true.",
    ]


def test_dates_that_are_not_dates(app):
    bad = release()
    bad["contracts"][0]["period"]["startDate"] = "next spring"
    bad["contracts"][0]["implementation"]["milestones"][0]["dueDate"] = "2026-02-30"
    assert errors_of(package(bad)) == [
        'releases[0].contracts[0].period.startDate: is not a date: "next spring".',
        'releases[0].contracts[0].implementation.milestones[0].dueDate: is not a date: "2026-02-30".',
    ]


def test_nulls_where_objects_should_be(app):
    bad = release(buyer=None)
    bad["contracts"][0]["value"] = None
    bad["contracts"][0]["implementation"]["milestones"] = [None]
    assert errors_of(package(bad)) == [
        "releases[0].buyer: should be an object, not null.",
        "releases[0].contracts[0].value: should be an object, not null.",
        "releases[0].contracts[0].implementation.milestones[0]: should be an object, not null.",
    ]


def test_an_error_anywhere_and_nothing_is_written_at_all(app):
    bad = release("ocds-bad")
    bad["contracts"][0]["dateSigned"] = 20260101
    messages = errors_of(package(release("ocds-good"), bad))
    assert messages == ["releases[1].contracts[0].dateSigned: is not a date: 20260101."]


# --- the project's own export, and published examples ------------------------------------------


def _summary():
    """What the round trip keeps of each contract, keyed on its title and reference."""
    out = {}
    for contract in db.session.scalars(select(Contract).order_by(Contract.id)):
        out[contract.reference] = {
            "title": contract.title, "value": contract.value, "currency": contract.currency,
            "term": (contract.start_date, contract.end_date), "signed": contract.signed_on,
            "awarded": contract.awarded_on, "kind": contract.kind, "structure": contract.payment_structure,
            "vendor": contract.vendor.name, "vendor_identifier": (contract.vendor.identifier_scheme, contract.vendor.identifier),
            "department": contract.department, "problem": contract.problem, "outcomes": contract.outcomes,
            "method": contract.procurement_method, "bids": contract.bids_received,
            "priorities": sorted(p.name for p in contract.priorities),
            "milestones": sorted((m.title, m.due_date, m.status, m.milestone_type, m.payment_linked)
                                 for m in contract.milestones),
            "metrics": sorted((m.name, m.unit, m.direction, m.cadence, m.baseline_value, m.target_value,
                               m.range_low, m.range_high,
                               tuple(sorted((r.period_start, r.value) for r in m.readings)),
                               tuple(sorted((t.period_start, t.value) for t in m.targets)))
                              for m in contract.metrics if m.is_public),
        }
    return out


def _group_values(published_only=False):
    """{(reference, metric, period start, dimension, group): value} of the readings' group
    values; ``published_only``: those the export publishes (counts' groups, of public metrics of
    public contracts, not below PUBLIC_MIN_GROUP_COUNT)."""
    from flask import current_app

    from contracts_app.dimensions.models import Dimension, DimensionGroup, ReadingGroupValue

    query = (select(Contract.reference, Metric.name, Reading.period_start, Dimension.name, DimensionGroup.name,
                    ReadingGroupValue.value)
             .join(Reading, Reading.id == ReadingGroupValue.reading_id).join(Metric, Metric.id == Reading.metric_id)
             .join(Contract, Contract.id == Metric.contract_id)
             .join(DimensionGroup, DimensionGroup.id == ReadingGroupValue.group_id)
             .join(Dimension, Dimension.id == DimensionGroup.dimension_id))
    if published_only:
        query = query.where(Contract.is_public.is_(True), Contract.archived_at.is_(None), Metric.is_public.is_(True),
                            Metric.is_count.is_(True),
                            ReadingGroupValue.value >= current_app.config["PUBLIC_MIN_GROUP_COUNT"])
    return {tuple(row[:5]): row[5] for row in db.session.execute(query)}


def _empty_database():
    db.session.remove()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def test_the_projects_own_export_round_trips_into_an_empty_database(app, monkeypatch):
    from contracts_app.ocds.export import release_package
    from tests.conftest import demo_city
    from tests.demo.conftest import NOW as DEMO_NOW

    # The demo's placements by district are single figures, below the public pages' minimum:
    # published all, so that the groups come back.
    monkeypatch.setitem(app.config, "PUBLIC_MIN_GROUP_COUNT", 1)
    demo_city(DEMO_NOW)
    public = set(db.session.scalars(select(Contract.reference).where(Contract.is_public.is_(True),
                                                                      Contract.archived_at.is_(None))))
    expected = {ref: summary for ref, summary in _summary().items() if ref in public}
    statuses = dict(db.session.execute(select(Contract.reference, Contract.status)).all())
    assert len(expected) >= 20
    assert sum(len(s["milestones"]) for s in expected.values()) >= 10
    assert sum(len(s["metrics"]) for s in expected.values()) >= 20
    assert sum(len(m[8]) for s in expected.values() for m in s["metrics"]) >= 100
    groups = _group_values(published_only=True)
    assert len(groups) >= 20
    published = release_package(now=DEMO_NOW)
    transactions = sum(len(c.get("implementation", {}).get("transactions", []))
                       for r in published["releases"] for c in r["contracts"])
    raw = json.dumps(published).encode()
    from contracts_app.priorities.models import Priority

    priorities = [(p.name, p.outcome) for p in db.session.scalars(select(Priority))]
    assert sum(len(s["priorities"]) for s in expected.values()) >= 20
    _empty_database()

    actor = officer()
    # The city has set up its priorities (by name: the exporting city's ids mean nothing here).
    db.session.add_all([Priority(name=name.upper() if n == 0 else name, outcome=outcome)
                        for n, (name, outcome) in enumerate(priorities)])
    db.session.commit()
    result = importer.import_stream(io.BytesIO(raw), actor, now=DEMO_NOW)
    assert result.ok, result.errors
    assert result.count("create") == len(expected) and result.count("skip") == 0
    imported = _summary()
    assert imported.keys() == expected.keys()
    renamed = {priorities[0][0]: priorities[0][0].upper()}  # matched whatever its case
    for reference, summary in expected.items():
        summary = {**summary, "priorities": sorted(renamed.get(n, n) for n in summary["priorities"])}
        assert imported[reference] == summary, reference
    for contract in db.session.scalars(select(Contract)):
        was = statuses[contract.reference]
        assert contract.status == {"terminated": "completed"}.get(was, was) or (
            contract.status == "draft" and not contract.metrics)
    # The groups' values the export publishes come back as the readings' group values, by the
    # dimensions and groups named in the file (made here: the database was empty).
    assert _group_values() == groups
    assert all(m.is_count for m in db.session.scalars(select(Metric)) if m.dimensions)
    # The approved payment statements the export publishes as transactions become payments made.
    assert counts()["Payment"] == transactions
    # Imported twice: nothing new.
    before = counts()
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    again = importer.import_stream(io.BytesIO(raw), actor, now=DEMO_NOW)
    assert again.ok and again.count("create") == 0 and again.count("update") == 0
    assert again.count("unchanged") == len(expected)
    assert counts() == before and _group_values() == groups
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


@pytest.mark.parametrize("name", ["fictional-example-release-package.json", "ppp-full-example.json"])
def test_published_examples_import_twice_without_duplicates(app, name):
    actor = officer()
    raw = (FIXTURES / name).read_bytes()
    first = importer.import_stream(io.BytesIO(raw), actor)
    assert first.ok, first.errors
    assert first.count("create") >= 1
    created = counts()
    assert created["Contract"] == first.count("create") and created["Vendor"] >= 1
    second = importer.import_stream(io.BytesIO(raw), actor)
    assert second.ok and second.count("create") == 0 and second.count("update") == 0
    assert counts() == created


def test_what_the_examples_bring_in(app):
    actor = officer()
    for name in ("fictional-example-release-package.json", "ppp-full-example.json"):
        assert importer.import_stream(io.BytesIO((FIXTURES / name).read_bytes()), actor).ok
    cycle, ppp = db.session.scalars(select(Contract).order_by(Contract.id)).all()
    # Six releases of one process compiled: the tender's method, the award's supplier, the contract.
    assert (cycle.ocds_ocid, cycle.value, cycle.currency, cycle.procurement_method) == (
        "ocds-213czf-000-00001", Decimal("11000000"), "GBP", "open")
    assert (cycle.vendor.name, cycle.vendor.identifier_scheme, cycle.department) == (
        "AnyCorp Cycle Provision", "GB-COH", "London Borough of Barnet")
    assert (cycle.start_date, cycle.end_date) == (date(2010, 7, 1), date(2011, 6, 30))
    assert ppp.vendor.name == "Mega Consortium Ltd"
    assert len(ppp.milestones) >= 7 and len(ppp.metrics) == 1
    # Its metric's every observation names the region it covers ({"region": "National"}) and
    # there is no other value for the period: each is the period's reading, not a group's value.
    published = json.loads((FIXTURES / "ppp-full-example.json").read_bytes())
    observed = {o["id"] for r in published["releases"] for c in r.get("contracts", [])
                for m in c.get("implementation", {}).get("metrics", []) for o in m.get("observations", [])}
    [metric] = ppp.metrics
    assert len(metric.readings) == len(observed) >= 12 and metric.dimensions == []
    assert metric.readings[0].value == Decimal(28)  # 28.000000000000004, stored to four places
    assert {m.status for m in ppp.milestones} >= {"met", "scheduled"}


def test_a_contract_without_a_published_value_is_noted(app):
    bare = release()
    del bare["contracts"][0]["value"]
    result = run(package(bare))
    assert result.ok
    assert "releases[0].contracts[0].value: No value is published for this contract" in str(result.warnings[0])
    assert db.session.scalar(select(Contract.value)) == 0


def test_a_large_file_is_read_streaming_with_bounded_memory(app, tmp_path):
    import tracemalloc

    path = tmp_path / "large.json"
    filler = "x" * 2000
    with path.open("w", encoding="utf-8") as out:
        out.write('{"version": "1.1", "releases": [')
        for n in range(1500):
            item = release(f"ocds-big-{n}")
            item["description"] = filler
            item["contracts"][0]["description"] = filler
            out.write(("," if n else "") + json.dumps(item))
        out.write("]}")
    size = path.stat().st_size
    assert size > 6_000_000
    tracemalloc.start()
    try:
        with path.open("rb") as raw:
            result = importer.check(raw)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.ok and result.count("create") == 1500
    assert peak < size / 5, (peak, size)


def test_a_process_with_no_contract_yet_is_left_out(app):
    tender = {"ocid": "ocds-tender-only", "id": "t", "date": "2026-01-01T00:00:00Z", "tag": ["tender"],
              "tender": {"id": "t1", "title": "Snow clearing"}}
    result = run(package(tender, release()))
    assert result.ok
    assert [(o.ocid, o.action, o.title) for o in result.outcomes] == [
        ("ocds-tender-only", "skip", "Snow clearing"), ("ocds-test-1", "create", "Street cleaning")]
    assert counts()["Contract"] == 1


def test_values_the_register_cannot_hold(app):
    huge = release()
    huge["contracts"][0]["value"]["amount"] = 10 ** 13
    long_ocid = release("ocds-" + "x" * 300)
    assert errors_of(package(huge, long_ocid)) == [
        "releases[1].ocid: The ocid is longer than 255 characters.",
        "releases[0].contracts[0].value.amount: is too large for the register (at most 12 digits before the "
        "decimal point).",
    ]


def test_an_identifier_without_a_scheme_and_a_reference_already_used(app):
    factories.make_contract(reference="ocds-test-1")
    odd = release()
    odd["parties"][1]["identifier"] = {"id": "0123"}
    odd["tender"] = {"id": "t", "numberOfTenderers": True}
    result = run(package(odd))
    assert result.ok, result.problems
    imported = db.session.scalar(select(Contract).where(Contract.ocds_ocid == "ocds-test-1"))
    assert imported.reference == "ocds-test-1-2"
    assert (imported.vendor.identifier_scheme, imported.vendor.identifier, imported.bids_received) == (None, None, None)


def test_re_importing_reads_the_register_a_batch_at_a_time(app):
    from tests.querycount import count_queries

    actor = officer()
    statements = []
    for n in (5, 25):
        raw = json.dumps(package(*[release(f"ocds-q{n}-{i}") for i in range(n)])).encode()
        assert run(io.BytesIO(raw), actor).ok
        with count_queries() as counter:
            again = run(io.BytesIO(raw), actor)
        assert again.count("unchanged") == n
        statements.append(counter.count)
    assert statements[0] == statements[1]


def with_metric(item, placed=30):
    contract = item["contracts"][0]
    contract["agreedMetrics"] = [{"id": "met-1", "title": "Blocks cleaned", "description": "Blocks swept weekly.",
                                  "observations": [
                                      {"id": "b", "measure": 20, "unit": {"name": "blocks"},
                                       "dimensions": {"observationType": "baseline"},
                                       "period": {"startDate": "2026-01-01T00:00:00Z", "endDate": "2026-01-01T00:00:00Z"}},
                                      {"id": "t", "measure": 60, "unit": {"name": "blocks"},
                                       "dimensions": {"observationType": "target"},
                                       "period": {"startDate": "2027-01-31T00:00:00Z", "endDate": "2027-01-31T00:00:00Z"}},
                                  ]}]
    contract["implementation"]["metrics"] = [{"id": "met-1", "observations": [
        {"id": "r1", "measure": placed, "period": {"startDate": "2026-02-01T00:00:00-05:00",
                                                    "endDate": "2026-02-28T23:59:59-05:00"}},
        {"id": "r2", "measure": "n/a", "period": {"startDate": "2026-03-01T00:00:00-05:00",
                                                   "endDate": "2026-03-31T23:59:59-05:00"}},
    ]}]
    return item


def test_metrics_and_readings_and_a_corrected_reading_keeps_its_history(app):
    from contracts_app.metrics.models import ReadingRevision

    actor = officer()
    result = run(package(with_metric(release())), actor)
    assert result.ok
    assert [str(w) for w in result.warnings] == [
        "releases[0].contracts[0].implementation.metrics[0].observations[1]: The observation has no number or no "
        "period: skipped."]
    contract = db.session.scalar(select(Contract))
    assert contract.status == "active"  # it has goals
    [metric] = contract.metrics
    assert (metric.name, metric.unit, metric.direction, metric.cadence, metric.baseline_value, metric.target_value) == (
        "Blocks cleaned", "blocks", "increase", "monthly", 20, 60)
    [reading] = metric.readings
    assert (reading.period_start, reading.period_end, reading.value, reading.version) == (
        date(2026, 2, 1), date(2026, 2, 28), 30, 1)
    assert reading.status != "no_data"
    corrected = with_metric(release(id="x-2", date="2026-05-01T00:00:00Z"), placed=35)
    assert [o.action for o in run(package(corrected), actor).outcomes] == ["update"]
    db.session.expire_all()
    reading = db.session.scalar(select(Reading))
    assert (reading.value, reading.version) == (35, 2)
    [revision] = db.session.scalars(select(ReadingRevision)).all()
    assert (revision.value, revision.version, revision.replaced_by_id) == (30, 1, actor.id)


def test_a_groups_observation_is_not_taken_for_the_total(app):
    # The export publishes a count's values by group as observations with a dimension of their
    # own ({"Council district": "District 7"}) for the same period: only the total becomes the reading.
    item = with_metric(release())
    observations = item["contracts"][0]["implementation"]["metrics"][0]["observations"]
    observations.insert(0, {"id": "r1-d7", "measure": 4, "dimensions": {"Council district": "District 7"},
                            "period": {"startDate": "2026-02-01T00:00:00-05:00", "endDate": "2026-02-28T23:59:59-05:00"}})
    assert run(package(item), officer()).ok
    [metric] = db.session.scalar(select(Contract)).metrics
    assert [(r.period_start.isoformat(), r.value) for r in metric.readings] == [("2026-02-01", 30)]


def with_groups(item, values, total=30):
    """``item`` (with_metric) with the reading's values by "Council district" group."""
    observations = item["contracts"][0]["implementation"]["metrics"][0]["observations"]
    observations[0]["measure"] = total
    for n, (group, value) in enumerate(values.items()):
        observations.insert(1 + n, {"id": f"r1-g{n}", "measure": value, "dimensions": {"Council district": group},
                                    "period": {"startDate": "2026-02-01T00:00:00-05:00",
                                               "endDate": "2026-02-28T23:59:59-05:00"}})
    return item


def _district_values():
    from contracts_app.dimensions.models import ReadingGroupValue

    return {gv.group.name: gv.value for gv in db.session.scalars(select(ReadingGroupValue))}


def test_groups_values_become_the_readings_group_values_in_a_dimension_made_by_name(app):
    from contracts_app.dimensions.models import Dimension

    actor = officer()
    item = with_groups(with_metric(release()), {"District 1": 12, "District 2": 18})
    preview = importer.check(as_bytes(package(item)))
    assert preview.ok, preview.problems
    assert any("The city has no dimension “Council district”: it will be made with the groups this file names"
               in str(w) for w in preview.warnings)
    assert run(package(item), actor).ok
    [dimension] = db.session.scalars(select(Dimension)).all()
    assert (dimension.name, [g.name for g in dimension.groups]) == ("Council district", ["District 1", "District 2"])
    [metric] = db.session.scalars(select(Metric)).all()
    assert metric.is_count and [d.name for d in metric.dimensions] == ["Council district"]
    assert _district_values() == {"District 1": 12, "District 2": 18}
    # Again: unchanged. A newer file with other values: the preview names them, the import writes them.
    assert importer.check(as_bytes(package(item))).outcomes[0].action == "unchanged"
    newer = with_groups(with_metric(release(id="x-2", date="2026-05-01T00:00:00Z")), {"District 1": 10, "District 2": 20})
    [outcome] = importer.check(as_bytes(package(newer))).outcomes
    assert [str(c) for c in outcome.changes] == [
        "Metric “Blocks cleaned”: 1 Feb 2026 by group, District 1: 12 → 10",
        "Metric “Blocks cleaned”: 1 Feb 2026 by group, District 2: 18 → 20"]
    assert run(package(newer), actor).ok
    assert _district_values() == {"District 1": 10, "District 2": 20}


def test_an_existing_dimension_is_reused_and_its_groups_must_add_up(app):
    from contracts_app.dimensions.models import Dimension, DimensionGroup

    actor = officer()
    db.session.add(Dimension(name="Council district", groups=[
        DimensionGroup(name="District 1", position=0), DimensionGroup(name="District 2", position=1)]))
    db.session.commit()
    wrong = with_groups(with_metric(release()), {"District 1": 12, "District 2": 10})
    for result in (importer.check(as_bytes(package(wrong))), run(package(wrong), actor)):
        assert [str(e) for e in result.errors] == [
            "releases[0].contracts[0].implementation.metrics[0].observations[1]: The Council district groups add up "
            "to 22 but the total is 30: for a count the total must equal the sum of its groups. Correct the total "
            "or the groups."]
    assert counts()["Contract"] == 0 and counts()["Reading"] == 0
    # A dimension made from the file may miss groups the publisher hid: only more than the total contradicts.
    assert run(package(with_groups(with_metric(release()), {"District 1": 12, "District 2": 18})), actor).ok
    assert db.session.scalar(select(func.count()).select_from(Dimension)) == 1
    assert _district_values() == {"District 1": 12, "District 2": 18}


def test_groups_above_the_total_contradict_it_even_in_a_dimension_made_from_the_file(app):
    from contracts_app.dimensions.models import Dimension

    result = run(package(with_groups(with_metric(release()), {"District 1": 25, "District 2": 10})))
    assert [e.path for e in result.errors] == ["releases[0].contracts[0].implementation.metrics[0].observations[1]"]
    assert "add up to 35 but the total is 30" in result.errors[0].message
    assert counts()["Contract"] == 0
    assert db.session.scalar(select(func.count()).select_from(Dimension)) == 0


def test_groups_short_of_the_total_in_a_dimension_made_from_the_file_make_a_metric_that_is_not_a_count(app):
    # The publisher hid District 2 (a small group): the dimension made from the file has District 1
    # only, so the metric cannot be a count — its next correction would be refused — and the
    # preview says why.
    from contracts_app.dimensions.services import check_group_values

    item = with_groups(with_metric(release()), {"District 1": 25})
    preview = importer.check(as_bytes(package(item)))
    assert preview.ok
    [warning] = [w for w in preview.warnings if "add up to less than the total" in str(w)]
    assert warning.path == "releases[0].contracts[0].implementation.metrics[0].observations[1]"
    assert "“Blocks cleaned” is imported as not a count" in warning.message
    assert run(package(item), officer()).ok
    [metric] = db.session.scalars(select(Metric)).all()
    assert metric.is_count is False and _district_values() == {"District 1": 25}
    [reading] = metric.readings
    check_group_values(metric, reading.value, {g.id: v for g, v in ((gv.group, gv.value) for gv in reading.group_values)})


def with_priorities(item, *names):
    item["contracts"][0]["items"] = [{"id": "1", "additionalClassifications": [
        {"scheme": "X-RDC-PRIORITY", "id": str(n), "description": name} for n, name in enumerate(names)]}]
    return item


def test_priorities_are_linked_by_name_and_an_unknown_one_is_a_warning(app):
    from contracts_app.priorities.models import Priority

    actor = officer()
    db.session.add(Priority(name="Clean streets", outcome="Every block rated clean"))
    db.session.commit()
    item = with_priorities(release(), "clean STREETS", "Safer roads")
    preview = importer.check(as_bytes(package(item)))
    assert preview.ok
    assert [str(w) for w in preview.warnings if "priority" in str(w)] == [
        "releases[0].contracts[0].items[0].additionalClassifications[1]: The city has no priority “Safer roads”: the "
        "contract is imported without it (link it to a priority on its page, or add the priority first and import "
        "again)."]
    assert run(package(item), actor).ok
    contract = db.session.scalar(select(Contract))
    assert [p.name for p in contract.priorities] == ["Clean streets"]
    # Once the city adds the missing priority, importing again links it (an update that says so);
    # a priority the city linked by hand stays linked.
    db.session.add_all([Priority(name="Safer roads", outcome="Fewer crashes"), Priority(name="Jobs", outcome="Work")])
    db.session.commit()
    contract.priorities.append(db.session.scalar(select(Priority).where(Priority.name == "Jobs")))
    db.session.commit()
    [outcome] = importer.check(as_bytes(package(item))).outcomes
    assert outcome.action == "update"
    assert [str(c) for c in outcome.changes] == ["Priorities: Clean streets, Jobs → Clean streets, Jobs, Safer roads"]
    assert run(package(item), actor).ok
    db.session.expire_all()
    assert sorted(p.name for p in db.session.scalar(select(Contract)).priorities) == ["Clean streets", "Jobs", "Safer roads"]
    assert importer.check(as_bytes(package(item))).outcomes[0].action == "unchanged"
