"""The OCDS release of a contract with its procurement stage (tender), the supplier's business
status and amendments: valid against the schema and merged by ocdsmerge without warnings.
Payments made are not transactions (the approved statements are: tests/ocds/test_export.py),
so the same money is never published twice."""
from datetime import date, datetime, timezone
from decimal import Decimal

from contracts_app.amendments.models import Amendment
from contracts_app.extensions import db
from contracts_app.ocds.export import release_package
from contracts_app.spend.models import Payment
from tests.ocds.conftest import compile_releases, release_of, schema_errors

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)


def _city(factory, users):
    vendor = factory.make_vendor(name="Harbor Light", created_at=T0, is_small=True, is_diverse=True)
    contract = factory.make_contract(
        vendor=vendor, created_at=T0, value=Decimal("1350000.00"), procurement_method="open",
        procurement_method_details="RFP-2025-031", bids_received=4,
    )
    db.session.add_all([
        Payment(contract_id=contract.id, paid_on=date(2025, 8, 15), amount=Decimal("50000.25"),
                invoice_reference="INV-1", created_at=T0, updated_at=T0),
        Payment(contract_id=contract.id, paid_on=date(2025, 9, 15), amount=Decimal("50000"),
                invoice_reference="INV-2", created_at=T0, updated_at=T0, voided_at=T0, void_reason="Twice"),
        Amendment(contract_id=contract.id, amended_on=date(2025, 10, 1), kinds="value,term",
                  before={"value": "1200000", "end_date": "2027-06-30"}, after={"value": "1350000", "end_date": "2027-12-31"},
                  rationale="Council added funding", approver_id=users["admin"].id, created_at=T0),
    ])
    db.session.commit()
    return contract


def test_it_publishes_tender_amendments_transactions_and_status(factory, users):
    contract = _city(factory, users)
    package = release_package(now=NOW)
    assert schema_errors(package) == []
    compile_releases(package["releases"])
    release = release_of(package, contract)
    assert release["tender"] == {
        "id": f"{release['ocid']}-tender", "procurementMethod": "open", "procurementMethodDetails": "RFP-2025-031",
        "numberOfTenderers": 4,
    }
    assert "tender" in release["tag"] and "contractAmendment" in release["tag"]
    block = release["contracts"][0]
    [amendment] = block["amendments"]
    assert amendment["id"].startswith("amendment-") and amendment["rationale"] == "Council added funding"
    assert amendment["date"] == "2025-10-01T00:00:00-05:00"
    assert amendment["description"] == "Value: $1,200,000 → $1,350,000; End date: 30 Jun 2027 → 31 Dec 2027"
    assert "transactions" not in block.get("implementation", {})  # payments made: not published
    parties = {p["id"]: p for p in release["parties"]}
    supplier = parties[f"vendor-{contract.vendor_id}"]
    assert supplier["roles"] == ["supplier"]
    assert supplier["details"] == {"scale": "sme", "classifications": [
        {"scheme": "X-RDC-BUSINESS-STATUS", "id": "diverse", "description": "Diverse business"}]}
    assert parties[f"dept-{contract.department_id}"]["roles"] == ["buyer"]


def test_a_contract_without_procurement_data_has_no_tender_block(factory):
    contract = factory.make_contract(created_at=T0)
    package = release_package(now=NOW)
    release = release_of(package, contract)
    assert "tender" not in release and "amendments" not in release["contracts"][0]
    assert "details" not in release["parties"][1]
    assert schema_errors(package) == []
