"""contracts_app.ocds.export.release_package on small data: status mapping, what is public,
release ids and dates across changes, observations and units, and a bounded query count."""
from datetime import date, datetime, timedelta, timezone

import pytest

from contracts_app.contracts import services as contract_services
from contracts_app.metrics import services as metric_services
from contracts_app.ocds.export import PRIORITY_SCHEME, release_package, unit_for
from tests.ocds.conftest import compile_releases, release_of, schema_errors
from tests.querycount import count_queries

# Every timestamp of the factory data: a change made later through a service is newer.
T0 = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)


def full_contract(factory, **kw):
    """A public contract with a priority, a metric with a per-period target and a reading, and a
    met milestone, every timestamp at T0."""
    priority = factory.make_priority(updated_at=T0)
    vendor = factory.make_vendor(created_at=T0)
    contract = factory.make_contract(vendor=vendor, priorities=[priority], created_at=T0, **kw)
    metric = factory.make_metric(contract, unit="percent", created_at=T0, targets={date(2025, 9, 1): "22"})
    factory.make_reading(metric, date(2025, 8, 1), "21", recorded_at=T0)
    factory.make_milestone(contract, status="met", due_date=date(2025, 12, 31), completed_on=date(2025, 12, 20),
                           payment_linked=True, created_at=T0, updated_at=T0)
    return contract


def editable(contract, **changes):
    """The contract's current values as update_contract takes them, with ``changes``."""
    data = {field: getattr(contract, field) for field in contract_services.EDITABLE_FIELDS}
    data.update(vendor_id=contract.vendor_id, priority_ids=[p.id for p in contract.priorities])
    data.update(changes)
    return data


STATUS_CASES = [
    # tracker status, archived, OCDS contract status, OCDS award status
    ("draft", False, "pending", "pending"),
    ("active", False, "active", "active"),
    ("completed", False, "terminated", "active"),
    ("terminated", False, "terminated", "active"),
    # Withdrawn before signature is a cancellation; a signed contract withdrawn is terminated.
    ("draft", True, "cancelled", "cancelled"),
    ("active", True, "terminated", "active"),
    ("completed", True, "terminated", "active"),
    ("terminated", True, "terminated", "active"),
]


def test_it_maps_the_tracker_status_to_the_ocds_codelists(factory):
    archived_at = T0 + timedelta(days=1)
    cases = [
        (full_contract(factory, status=status, archived_at=archived_at if archived else None), archived, expected, award)
        for status, archived, expected, award in STATUS_CASES
    ]
    package = release_package(now=NOW)
    assert schema_errors(package) == []
    for contract, archived, contract_status, award_status in cases:
        release = release_of(package, contract)
        assert release["contracts"][0]["status"] == contract_status, contract.status
        assert release["awards"][0]["status"] == award_status, contract.status
        withdrawn = "Withdrawn from the city's contract tracker on 2026-01-16." in release["contracts"][0]["description"]
        assert withdrawn == archived
        assert ("contractTermination" in release["tag"]) == (contract_status == "terminated")
        # Archiving is a change: the release is dated by it.
        assert release["date"] == ("2026-01-16T12:00:00Z" if archived else "2026-01-15T12:00:00Z")


def test_it_leaves_out_contracts_that_are_not_public(factory):
    shown = full_contract(factory)
    hidden = full_contract(factory, is_public=False, title="Confidential pilot")
    package = release_package(now=NOW)
    assert [r["ocid"] for r in package["releases"]] == [f"ocds-rdctrk-{shown.id}"]
    assert release_of(package, hidden) is None
    assert "Confidential pilot" not in str(package)


def test_it_publishes_an_empty_package_when_nothing_is_public(factory):
    factory.make_contract(is_public=False)
    package = release_package(now=NOW)
    assert package["releases"] == []
    assert package["publishedDate"] == "2026-03-02T15:00:00Z"


def _change_title(contract, actor):
    contract_services.update_contract(contract, editable(contract, title="Street outreach, extended"), actor)


def _record_reading(contract, actor):
    metric_services.record_reading(contract.metrics[0], actor, date(2025, 9, 1), "25", now=NOW)


def _rename_vendor(contract, actor):
    contract_services.update_vendor(contract.vendor, {"name": "Harbor Light Services Inc."}, actor)


@pytest.mark.parametrize("change", [_change_title, _record_reading, _rename_vendor])
def test_a_change_gives_a_new_release_id_and_date_under_the_same_ocid(factory, change):
    contract = full_contract(factory)
    before = release_of(release_package(now=NOW), contract)
    assert release_of(release_package(now=NOW + timedelta(days=7)), contract) == before
    assert before["date"] == "2026-01-15T12:00:00Z"

    change(contract, factory.make_user("procurement_officer"))
    after = release_of(release_package(now=NOW), contract)

    assert after["ocid"] == before["ocid"] and after["id"] != before["id"]
    assert after["id"].startswith(before["ocid"] + "-") and "#" not in after["id"]
    assert after["date"] > before["date"]
    assert [p["id"] for p in after["parties"]] == [p["id"] for p in before["parties"]]


def test_successive_exports_merge_into_the_new_state(factory):
    contract = full_contract(factory)
    first = release_package(now=NOW)["releases"]
    _record_reading(contract, factory.make_user("procurement_officer"))
    second = release_package(now=NOW)["releases"]
    # Both exports, as a portal that keeps every release would hold them (and in either order).
    merged = compile_releases(second + first)[first[0]["ocid"]]
    assert merged["date"] == second[0]["date"] > first[0]["date"]
    assert merged["contracts"] == second[0]["contracts"] and merged["parties"] == second[0]["parties"]
    assert len(merged["contracts"][0]["implementation"]["metrics"][0]["observations"]) == 2


def test_it_exports_baselines_targets_and_readings_as_observations(factory):
    contract = full_contract(factory)
    rising = contract.metrics[0]
    ranged = factory.make_metric(contract, name="Response time", unit="days", direction="range", baseline_value=None,
                                 target_value=None, range_low=2, range_high=5, position=1)
    kept = factory.make_metric(contract, name="Uptime", unit="Percent", direction="maintain", target_value="99.5",
                               baseline_date=None, position=2)
    factory.make_metric(contract, name="Households served", unit="households", position=3)
    package = release_package(now=NOW)
    assert schema_errors(package) == []
    block = release_of(package, contract)["contracts"][0]
    agreed = {m["title"]: {o["id"]: o for o in m["observations"]} for m in block["agreedMetrics"]}
    term = {"startDate": "2025-07-01T00:00:00-05:00", "endDate": "2027-06-30T23:59:59-05:00"}

    rising_obs = agreed[rising.name]
    assert rising_obs[f"{rising.id}-baseline"] == {
        "id": f"{rising.id}-baseline", "measure": 18, "dimensions": {"observationType": "baseline"},
        "period": {"startDate": "2025-06-30T00:00:00-05:00", "endDate": "2025-06-30T23:59:59-05:00"},
        "unit": {"scheme": "UNCEFACT", "id": "P1", "name": "percent"},
    }
    assert rising_obs[f"{rising.id}-target"]["period"]["startDate"] == "2027-06-30T00:00:00-05:00"
    per_period = rising_obs[f"{rising.id}-target-2025-09-01"]
    assert per_period["measure"] == 22 and per_period["dimensions"] == {"observationType": "target"}
    assert per_period["period"] == {"startDate": "2025-09-01T00:00:00-05:00", "endDate": "2025-09-30T23:59:59-05:00"}

    ranged_obs = agreed["Response time"]
    assert set(ranged_obs) == {f"{ranged.id}-target-low", f"{ranged.id}-target-high"}
    assert ranged_obs[f"{ranged.id}-target-high"]["dimensions"] == {"observationType": "target", "targetBound": "high"}
    assert ranged_obs[f"{ranged.id}-target-low"]["measure"] == 2 and ranged_obs[f"{ranged.id}-target-low"]["period"] == term
    assert ranged_obs[f"{ranged.id}-target-low"]["unit"] == {"scheme": "UNCEFACT", "id": "DAY", "name": "days"}

    kept_obs = agreed["Uptime"]
    assert "period" not in kept_obs[f"{kept.id}-baseline"]
    assert kept_obs[f"{kept.id}-target"]["measure"] == 99.5 and kept_obs[f"{kept.id}-target"]["period"] == term
    assert agreed["Households served"][next(iter(agreed["Households served"]))]["unit"] == {"name": "households"}

    # Only metrics with readings appear under implementation.
    (observed,) = block["implementation"]["metrics"]
    assert observed["id"] == str(rising.id)
    assert observed["observations"] == [{
        "id": f"{rising.id}-2025-08-01", "measure": 21, "unit": {"scheme": "UNCEFACT", "id": "P1", "name": "percent"},
        "period": {"startDate": "2025-08-01T00:00:00-05:00", "endDate": "2025-08-31T23:59:59-05:00"},
    }]


def test_it_exports_milestones_and_priorities(factory):
    contract = full_contract(factory)
    for state, completed in (("scheduled", None), ("partially_met", date(2026, 1, 5)), ("not_met", None)):
        factory.make_milestone(contract, status=state, completed_on=completed, due_date=date(2026, 1, 10))
    block = release_of(release_package(now=NOW), contract)["contracts"][0]
    milestones = block["implementation"]["milestones"]
    assert [m["status"] for m in milestones] == ["met", "scheduled", "partiallyMet", "notMet"]
    met, _scheduled, partial, _not_met = milestones
    assert met["dueDate"] == "2025-12-31T23:59:59-06:00" and met["dateMet"] == "2025-12-20T00:00:00-06:00"
    assert met["description"] == "Payment is linked to this milestone." and met["type"] == "delivery"
    assert met["dateModified"] == "2026-01-15T12:00:00Z"
    # dateMet means met: a partial completion keeps its date in the words only.
    assert "dateMet" not in partial and partial["description"] == "Partially met on 2026-01-05."
    assert all("dateMet" not in m for m in milestones[1:])
    assert [m["id"] for m in milestones] == [str(m.id) for m in contract.milestones]
    (priority,) = contract.priorities
    assert block["items"][0]["additionalClassifications"] == [
        {"scheme": PRIORITY_SCHEME, "id": str(priority.id), "description": priority.name}
    ]


@pytest.mark.parametrize(
    "name, code",
    [("percent", "P1"), (" Percent ", "P1"), ("%", "P1"), ("count", "C62"), ("days", "DAY"), ("Day", "DAY"),
     ("hours", "HUR"), ("mph", "HM"), ("people", None), ("score (1-5)", None)],
)
def test_it_uses_uncefact_codes_where_one_fits(name, code):
    unit = unit_for(name)
    assert unit["name"] == name.strip()
    assert unit.get("id") == code and unit.get("scheme") == ("UNCEFACT" if code else None)


def test_it_runs_the_same_number_of_queries_for_one_contract_or_many(factory):
    full_contract(factory)
    with count_queries() as one:
        release_package(now=NOW)
    for _ in range(4):
        full_contract(factory)
    with count_queries() as five:
        package = release_package(now=NOW)
    assert len(package["releases"]) == 5
    # One statement per table read per batch (amendments and payments made are two of them).
    assert five.count == one.count <= 12


def test_it_publishes_milestone_types(factory):
    contract = full_contract(factory)
    for kind in ("reporting", "financing"):
        factory.make_milestone(contract, milestone_type=kind, due_date=date(2026, 2, 1))
    package = release_package(now=NOW)
    assert schema_errors(package) == []
    types = [m["type"] for m in release_of(package, contract)["contracts"][0]["implementation"]["milestones"]]
    assert types == ["delivery", "reporting", "financing"]


def test_it_publishes_the_supplier_identifier_address_and_the_award_and_signature_dates(factory):
    contract = full_contract(factory, awarded_on=date(2025, 5, 20), signed_on=date(2025, 6, 2))
    vendor = contract.vendor
    vendor.identifier_scheme, vendor.identifier = "US-EIN", "12-3456789"
    vendor.street_address, vendor.locality, vendor.region = "100 Main St", "Springfield", "IL"
    vendor.postal_code, vendor.country_name = "62701", "United States"
    vendor.contact_name, vendor.contact_email = "Dana Reyes", "dana@harbor.example"
    bare = full_contract(factory)
    from contracts_app.extensions import db
    db.session.commit()

    package = release_package(now=NOW)
    assert schema_errors(package) == []
    release = release_of(package, contract)
    supplier = next(p for p in release["parties"] if p["roles"] == ["supplier"])
    assert supplier["identifier"] == {"scheme": "US-EIN", "id": "12-3456789", "legalName": vendor.name}
    assert supplier["address"] == {
        "streetAddress": "100 Main St", "locality": "Springfield", "region": "IL", "postalCode": "62701",
        "countryName": "United States",
    }
    assert "Dana Reyes" not in str(package) and "dana@harbor.example" not in str(package)
    assert release["awards"][0]["date"] == "2025-05-20T00:00:00-05:00"
    assert release["contracts"][0]["dateSigned"] == "2025-06-02T00:00:00-05:00"
    # Nothing recorded, nothing published (OCDS omits what it does not know).
    other = release_of(package, bare)
    other_supplier = next(p for p in other["parties"] if p["roles"] == ["supplier"])
    assert "identifier" not in other_supplier and "address" not in other_supplier
    assert "date" not in other["awards"][0] and "dateSigned" not in other["contracts"][0]


def test_the_package_names_its_public_address_publisher_identifier_and_policy(app, factory):
    full_contract(factory)
    app.config.update(
        OCDS_PACKAGE_URI="https://data.springfield.gov/ocds/release-package.json",
        OCDS_PUBLISHER_SCHEME="US-EIN", OCDS_PUBLISHER_UID="37-6000999",
        OCDS_PUBLICATION_POLICY_URL="https://data.springfield.gov/ocds/policy",
    )
    package = release_package(now=NOW)
    assert schema_errors(package) == []
    assert package["uri"] == "https://data.springfield.gov/ocds/release-package.json"
    assert package["publisher"]["scheme"] == "US-EIN" and package["publisher"]["uid"] == "37-6000999"
    assert package["publicationPolicy"] == "https://data.springfield.gov/ocds/policy"


def test_it_publishes_approved_payment_statements_as_transactions(factory, users):
    """Each approved statement's amount payable (its latest approved revision) is a transaction
    from the buyer to the supplier; drafts are not published. The package validates."""
    from datetime import date as _date

    from sqlalchemy import select

    from contracts_app.extensions import db
    from contracts_app.management.sweep import sweep
    from contracts_app.payments.models import PaymentStatement
    from contracts_app.payments.services import approve_statement, revise_statement
    from tests.payments.conftest import NOW as PAY_NOW
    from decimal import Decimal as D

    from contracts_app.payments.services import add_rule, set_terms

    officer = users["procurement_officer"]
    contract = factory.make_contract(start_date=_date(2026, 1, 1), end_date=_date(2026, 12, 31),
                                     procurement_officer_id=officer.id, value=D("400000"))
    metric = factory.make_metric(contract, cadence="quarterly", payment_linked=True, baseline_value=None,
                                 target_value=D(40))
    factory.make_reading(metric, _date(2026, 1, 1), 30)
    set_terms(contract, officer, {"billing_period": "quarterly", "amount_per_period": D("100000.00"), "reason": "x"},
              now=PAY_NOW)
    add_rule(contract, officer, "withhold", {"percent": D(10), "effective_from": _date(2026, 1, 1), "reason": "Award",
                                             "metrics": [{"metric_id": metric.id, "aggregation": "sum"}]}, now=PAY_NOW)
    sweep(PAY_NOW)
    q1, q2 = db.session.scalars(select(PaymentStatement).order_by(PaymentStatement.period_start)).all()[:2]
    approve_statement(q1, officer, now=PAY_NOW)
    revision = revise_statement(q1, officer, "Q1 reading corrected", now=PAY_NOW)
    approve_statement(revision, officer, now=PAY_NOW)

    package = release_package(now=PAY_NOW)
    assert schema_errors(package) == []
    transactions = release_of(package, contract)["contracts"][0]["implementation"]["transactions"]
    assert transactions == [{
        "id": f"{q1.number}-r2", "date": "2027-01-20T15:00:00Z",
        "value": {"amount": 90000, "currency": "USD"},
        "payer": {"id": f"dept-{contract.department_id}", "name": release_of(package, contract)["buyer"]["name"]},
        "payee": {"id": f"vendor-{contract.vendor_id}", "name": contract.vendor.name},
    }]
    assert q2.status == "draft"  # not published
    compile_releases(package["releases"])
