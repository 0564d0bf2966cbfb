"""Contract templates: saving a contract's design, the document's checks, import, and
starting a contract from a template."""
import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.designs import services
from contracts_app.designs.models import ContractTemplate
from contracts_app.extensions import db
from contracts_app.management.models import CheckIn
from contracts_app.metrics.models import Metric
from contracts_app.payments.models import PaymentRule, PaymentRuleMetric, PaymentTerms
from contracts_app.portfolio.models import CloseoutEvaluation

NOW = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


def proven_contract(factory):
    priority = factory.make_priority(name="Housing stability")
    contract = factory.make_contract(reference="HS-2024-001", title="Street outreach", priorities=[priority],
                                     department="Human Services", value=Decimal("400000"))
    placements = factory.make_metric(contract, name="Placements", definition="People placed in housing", unit="count",
                                     payment_linked=True, on_track_pct=Decimal(100), at_risk_pct=Decimal(85))
    retention = factory.make_metric(contract, name="Six-month retention", unit="percent", cadence="quarterly")
    for month, status in ((8, "on_track"), (9, "on_track"), (10, "off_track")):
        factory.make_reading(placements, date(2025, month, 1), 25, status=status)
    factory.make_reading(retention, date(2025, 7, 1), 80, status="at_risk")
    db.session.add(PaymentTerms(contract_id=contract.id, billing_period="quarterly", amount_per_period=Decimal("50000")))
    rule = PaymentRule(contract_id=contract.id, kind="withhold", percent=Decimal(10), at_risk_release_pct=Decimal(50))
    rule.metrics = [PaymentRuleMetric(metric_id=placements.id, aggregation="sum")]
    db.session.add(rule)
    db.session.add_all([CheckIn(contract_id=contract.id, status="held", scheduled_for=date(2025, 8, 1)),
                        CheckIn(contract_id=contract.id, status="held", scheduled_for=date(2025, 8, 29)),
                        CheckIn(contract_id=contract.id, status="held", scheduled_for=date(2025, 9, 26))])
    db.session.add(CloseoutEvaluation(contract_id=contract.id, vendor_id=contract.vendor_id, quality=5, schedule=4,
                                      cost_control=4, management=5, narrative="Strong", evaluated_on=date(2026, 1, 10)))
    db.session.commit()
    return contract


def test_saving_a_contract_keeps_its_design_and_track_record(app, factory, users):
    contract = proven_contract(factory)
    template = services.save_from_contract(contract, users["procurement_officer"], " Outreach that housed people ",
                                           "Street outreach", "Weekly case conferences", now=NOW)
    design = template.design
    assert design["format"] == "rdc-contract-template" and design["version"] == 2
    assert template.name == "Outreach that housed people"
    assert [m["name"] for m in design["metrics"]] == ["Placements", "Six-month retention"]
    placements = design["metrics"][0]
    assert placements["payment_linked"] is True and placements["at_risk_pct"] == "85"
    assert "target_value" not in placements and "baseline_value" not in placements
    assert design["payment_terms"] == {"billing_period": "quarterly", "amount_share": "0.125"}
    assert design["payment_rules"][0]["kind"] == "withhold"
    assert design["payment_rules"][0]["metrics"] == [{"metric": "m1", "weight": None, "aggregation": "sum"}]
    assert design["checkin_interval_days"] == 28
    assert design["suggestions"] == {"department": "Human Services", "priorities": ["Housing stability"]}
    # Four rated periods, two on track; the closeout's four ratings average 4.5.
    assert design["track_record"]["on_track_share"] == "0.5" and template.on_track_share == Decimal("0.5")
    assert template.closeout_rating == Decimal("4.5") and template.periods_rated == 4
    assert services.document_problems(design) == []
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "contracttemplate"))
    assert event.action == "create" and event.contract_id == contract.id


@pytest.mark.parametrize("name, kind, field", [("", "Outreach", "name"), ("T", "  ", "kind_of_service")])
def test_a_template_needs_a_name_and_a_kind_of_service(app, factory, users, name, kind, field):
    contract = proven_contract(factory)
    with pytest.raises(services.TemplateError) as error:
        services.save_from_contract(contract, users["procurement_officer"], name, kind, "", now=NOW)
    assert error.value.field == field
    assert db.session.scalar(select(func.count(ContractTemplate.id))) == 0


def test_a_second_template_of_the_same_name_is_refused(app, factory, users):
    contract = proven_contract(factory)
    services.save_from_contract(contract, users["procurement_officer"], "Outreach", "Street outreach", "", now=NOW)
    with pytest.raises(services.TemplateError, match="exists already"):
        services.save_from_contract(contract, users["procurement_officer"], "OUTREACH", "Street outreach", "", now=NOW)
    assert db.session.scalar(select(func.count(ContractTemplate.id))) == 1


def _document(factory, users):
    contract = proven_contract(factory)
    return services.save_from_contract(contract, users["procurement_officer"], "Outreach", "Street outreach", "",
                                       now=NOW).design


@pytest.mark.parametrize("change, path", [
    (lambda d: d.update(format="other"), "$.format"),
    (lambda d: d.update(version=3), "$.version"),
    (lambda d: d["metrics"][0].update(direction="sideways"), "$.metrics[0].direction"),
    (lambda d: d["metrics"][1].update(due_days="ten"), "$.metrics[1].due_days"),
    (lambda d: d["metrics"][1].update(key="m1"), "$.metrics[1].key"),
    (lambda d: d["metrics"][0].update(at_risk_pct="120"), "$.metrics[0].at_risk_pct"),
    (lambda d: d["payment_rules"][0]["metrics"][0].update(metric="m9"), "$.payment_rules[0].metrics[0].metric"),
    (lambda d: d.pop("problem"), "$"),
    (lambda d: d.update(extra=1), "$"),
    (lambda d: d.update(payment_terms=None), "$.payment_terms"),
])
def test_every_problem_of_a_document_names_its_json_path(app, factory, users, change, path):
    document = json.loads(json.dumps(_document(factory, users)))
    change(document)
    problems = services.document_problems(document)
    assert problems and problems[0][0] == path


@pytest.mark.parametrize("raw, message", [
    (b"", "empty"), (b"{not json", "not JSON"), (b"\xff\xfe", "not UTF-8"), (b"[1, 2]", "JSON object"),
])
def test_a_file_that_is_no_template_gets_a_clear_message(app, raw, message):
    document, problems = services.parse_document(raw)
    assert message in problems[0][1]


def test_a_bad_document_is_not_imported(app, factory, users):
    document = json.loads(json.dumps(_document(factory, users)))
    document["name"] = "Other"
    document["metrics"][0]["cadence"] = "hourly"
    with pytest.raises(services.TemplateError) as error:
        services.import_document(document, users["admin"])
    assert error.value.problems[0][0] == "$.metrics[0].cadence"
    assert db.session.scalar(select(func.count(ContractTemplate.id))) == 1


def test_a_new_contract_gets_the_metrics_and_rules_without_targets(app, factory, users):
    template = services.import_document({**_document(factory, users), "name": "Imported"}, users["admin"])
    contract = factory.make_contract(reference="HS-2026-009", value=Decimal("200000"))
    services.apply_to_contract(contract, template, users["procurement_officer"], now=NOW)
    metrics = db.session.scalars(select(Metric).where(Metric.contract_id == contract.id).order_by(Metric.position)).all()
    assert [m.name for m in metrics] == ["Placements", "Six-month retention"]
    assert all(m.target_value is None and m.baseline_value is None for m in metrics)
    assert metrics[0].payment_linked and metrics[0].at_risk_pct == Decimal(85)
    terms = db.session.scalar(select(PaymentTerms).where(PaymentTerms.contract_id == contract.id))
    assert terms.billing_period == "quarterly" and terms.amount_per_period == Decimal("25000.00")
    rule = db.session.scalar(select(PaymentRule).where(PaymentRule.contract_id == contract.id))
    assert rule.kind == "withhold" and rule.percent == Decimal(10) and [link.metric_id for link in rule.metrics] == [metrics[0].id]
    assert contract.template_id == template.id
    assert [c.id for c in services.contracts_from(template)] == [contract.id]
    # Twice is refused: the contract has its metrics now.
    with pytest.raises(services.TemplateError, match="already"):
        services.apply_to_contract(contract, template, users["procurement_officer"], now=NOW)


def test_the_library_searches_and_filters(app, factory, users):
    document = _document(factory, users)
    services.import_document({**document, "name": "Street cleaning", "kind_of_service": "Street cleaning",
                              "payment_structure": "fixed_price", "note": "Cleanliness rating",
                              "suggestions": {"department": "Public Works", "priorities": ["Clean streets"]}},
                             users["admin"])

    def names(**filters):
        return [t.name for t in db.session.scalars(services.library_query(filters))]

    assert names() == ["Outreach", "Street cleaning"]
    assert names(q="cleanliness") == ["Street cleaning"]
    assert names(q="100%_") == []
    assert names(priority="Housing stability") == ["Outreach"]
    assert names(priority="Housing") == []
    assert names(department="public works") == ["Street cleaning"]
    assert names(payment_structure="performance_based") == ["Outreach"]
    assert names(kind="street outreach") == ["Outreach"]


def test_the_pages_save_export_import_and_start_a_contract(app, factory, users, client_as):
    contract = proven_contract(factory)
    po = client_as("procurement_officer")
    assert b"Save as template" in po.get(f"/contracts/{contract.id}").data
    response = po.post(f"/contracts/{contract.id}/save-template", data={"name": "", "kind_of_service": "Outreach"})
    assert response.status_code == 200 and db.session.scalar(select(func.count(ContractTemplate.id))) == 0
    response = po.post(f"/contracts/{contract.id}/save-template",
                       data={"name": "Outreach", "kind_of_service": "Street outreach", "note": "Case conferences"})
    assert response.status_code == 302
    template = db.session.scalar(select(ContractTemplate))
    page = po.get("/contract-templates?q=outreach").data.decode()
    assert "Outreach" in page
    page = po.get(f"/contract-templates/{template.id}").data.decode()
    assert "Placements" in page and "50% of 4 rated periods on track" in page and "4.50 of 5" in page
    exported = po.get(f"/contract-templates/{template.id}.json")
    document = json.loads(exported.data)
    assert document["format"] == "rdc-contract-template" and document["version"] == 2
    # Import: a bad file is refused with its path; a good one is previewed, then saved on confirming.
    admin = client_as("admin")
    bad = json.dumps({**document, "metrics": [{**document["metrics"][0], "unit": ""}]}).encode()
    import io
    response = admin.post("/contract-templates/import", data={"file": (io.BytesIO(bad), "t.json")},
                          content_type="multipart/form-data")
    assert response.status_code == 422 and "$.metrics[0].unit" in response.data.decode()
    good = json.dumps({**document, "name": "Outreach (Springfield)"}).encode()
    response = admin.post("/contract-templates/import", data={"file": (io.BytesIO(good), "t.json")},
                          content_type="multipart/form-data")
    assert response.status_code == 200 and "nothing is saved until you confirm" in response.data.decode()
    assert db.session.scalar(select(func.count(ContractTemplate.id))) == 1
    hidden = response.data.decode().split('name="document" type="hidden" value="')[1].split('"')[0]
    import html
    response = admin.post("/contract-templates/import", data={"document": html.unescape(hidden)})
    assert response.status_code == 302
    imported = db.session.scalar(select(ContractTemplate).where(ContractTemplate.name == "Outreach (Springfield)"))
    assert imported.origin == "imported"
    # New contract from the imported template: the form is pre-filled; the contract records it.
    form = po.get(f"/contracts/new?template={imported.id}").data.decode()
    assert "Starting from the template Outreach (Springfield)" in form and contract.problem in form
    assert po.get("/contracts/new?template=999999").status_code == 404
    priority = contract.priorities[0]
    response = po.post(f"/contracts/new?template={imported.id}", data={
        "reference": "HS-2026-100", "title": "Outreach east", "kind": "contract", "department": "Human Services",
        "vendor_id": contract.vendor_id, "value": "200000", "currency": "USD", "start_date": "2026-01-01",
        "end_date": "2026-12-31", "status": "active", "payment_structure": "performance_based",
        "payment_terms": "Withhold 10%", "problem": "P", "outcomes": "O", "priority_ids": [priority.id],
    })
    assert response.status_code == 302, response.data.decode()[:2000]
    new = db.session.scalar(select(factory.Contract).where(factory.Contract.reference == "HS-2026-100"))
    assert new.template_id == imported.id and len(new.metrics) == 2
    page = po.get(f"/contracts/{new.id}").data.decode()
    assert "Started from template" in page and "Outreach (Springfield)" in page
    assert "HS-2026-100" in po.get(f"/contract-templates/{imported.id}").data.decode()


def test_a_contract_from_a_template_is_registered_with_the_template_or_not_at_all(app, factory, users, client_as,
                                                                                   monkeypatch):
    # The template's metrics and rules and the contract are one transaction: a refusal while
    # applying the template leaves no contract behind.
    from contracts_app.contracts.models import Contract
    from contracts_app.errors import command

    priority = factory.make_priority()
    contract = factory.make_contract(reference="HS-2025-900", priorities=[priority])
    factory.make_metric(contract, name="Placements")
    template = services.save_from_contract(contract, users["procurement_officer"], "Outreach", "Street outreach", "")
    applied = services.apply_to_contract

    @command
    def fails_half_way(new, design, actor, now=None):
        db.session.add(Metric(contract_id=new.id, name="Half-written", unit="count", direction="increase",
                              cadence="monthly", status="no_data", position=0))
        db.session.flush()
        raise services.TemplateError("The template's rules could not be applied.")

    monkeypatch.setattr(services, "apply_to_contract", fails_half_way)
    po = client_as("procurement_officer")
    data = {"reference": "HS-2026-901", "title": "Outreach west", "kind": "contract", "department": "Human Services",
            "vendor_id": contract.vendor_id, "value": "200000", "currency": "USD", "start_date": "2026-01-01",
            "end_date": "2026-12-31", "status": "active", "payment_structure": "performance_based",
            "payment_terms": "Withhold 10%", "problem": "P", "outcomes": "O",
            "priority_ids": [priority.id]}
    response = po.post(f"/contracts/new?template={template.id}", data=data)
    assert response.status_code == 200 and "could not be applied" in response.data.decode()
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Contract).where(Contract.reference == "HS-2026-901")) == 0
    assert db.session.scalar(select(func.count()).select_from(Metric).where(Metric.name == "Half-written")) == 0
    monkeypatch.setattr(services, "apply_to_contract", applied)
    assert po.post(f"/contracts/new?template={template.id}", data=data).status_code == 302
