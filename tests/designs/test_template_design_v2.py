"""What a version-2 template carries beyond version 1 — metric dimensions, counts and
target-setting notes, milestones and milestone payments — and that a template's parts are
checked by the same rules as their own forms when a contract is started from it."""
import json
import re
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.designs import services
from contracts_app.dimensions.models import Dimension, DimensionGroup
from contracts_app.extensions import db
from contracts_app.metrics.models import Metric
from contracts_app.milestones.models import Milestone
from contracts_app.payments.models import PaymentRule, PaymentRuleMetric, PaymentTerms

NOW = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


def dimension(name, *groups):
    row = Dimension(name=name)
    row.groups = [DimensionGroup(name=group, position=i) for i, group in enumerate(groups)]
    db.session.add(row)
    db.session.commit()
    return row


def designed_contract(factory):
    """A $400,000 contract from 2025-07-01: placements by council district and age band, a
    target note, a milestone 90 days in paying 10% of the value (half if partially met)."""
    districts = dimension("Council district", "District 1", "District 7")
    ages = dimension("Age band", "Under 25", "25 and over")
    contract = factory.make_contract(reference="HS-2024-001", value=Decimal("400000"), start_date=date(2025, 7, 1),
                                     end_date=date(2026, 6, 30))
    placements = factory.make_metric(contract, name="Placements", unit="count", payment_linked=True, is_count=True,
                                     target_notes="The baseline plus 40%: what two more outreach teams can reach.")
    placements.dimensions = [ages, districts]
    factory.make_milestone(contract, title="Coordinated entry live", due_date=date(2025, 9, 29), payment_linked=True,
                           milestone_type="delivery", description="Every referral through one list")
    factory.make_milestone(contract, title="Final evaluation", due_date=date(2026, 6, 28), milestone_type="assessment")
    db.session.add(PaymentTerms(contract_id=contract.id, billing_period="milestone", amount_per_period=Decimal("40000")))
    milestone = db.session.scalar(select(Milestone).where(Milestone.title == "Coordinated entry live"))
    db.session.add(PaymentRule(contract_id=contract.id, kind="milestone", milestone_id=milestone.id,
                               amount=Decimal("40000"), partial_share_pct=Decimal(50)))
    db.session.commit()
    return contract


def forget_age_bands():
    """The city without its "Age band" dimension (as another city without one would be)."""
    ages = db.session.scalar(select(Dimension).where(Dimension.name == "Age band"))
    source = db.session.scalar(select(Metric).where(Metric.name == "Placements"))
    source.dimensions = [d for d in source.dimensions if d is not ages]
    db.session.flush()
    db.session.delete(ages)
    db.session.commit()


def save(factory, users, contract=None, name="Outreach by district"):
    contract = contract or designed_contract(factory)
    return services.save_from_contract(contract, users["procurement_officer"], name, "Street outreach", "", now=NOW)


def test_the_document_keeps_dimensions_notes_milestones_and_milestone_payments(app, factory, users):
    design = save(factory, users).design
    assert design["version"] == 2 and services.document_problems(design) == []
    placements = design["metrics"][0]
    assert placements["is_count"] is True
    assert placements["target_notes"] == "The baseline plus 40%: what two more outreach teams can reach."
    assert placements["dimensions"] == [{"name": "Age band", "groups": ["Under 25", "25 and over"]},
                                        {"name": "Council district", "groups": ["District 1", "District 7"]}]
    assert design["milestones"] == [
        {"key": "ms1", "offset_days": 90, "title": "Coordinated entry live", "description": "Every referral through one list",
         "milestone_type": "delivery", "payment_linked": True},
        {"key": "ms2", "offset_days": 362, "title": "Final evaluation", "description": "", "milestone_type": "assessment",
         "payment_linked": False},
    ]
    rule = design["payment_rules"][0]
    assert (rule["kind"], rule["milestone"], rule["amount_share"], rule["partial_share_pct"]) == ("milestone", "ms1", "0.1", "50")
    # What the officer sets is still left out.
    assert "target_value" not in placements and "due_date" not in design["milestones"][0]


def test_a_new_contract_gets_the_milestones_dimensions_and_milestone_payment(app, factory, users):
    template = save(factory, users)
    # The other city has council districts of its own: they are used; it has no age bands: added.
    forget_age_bands()
    contract = factory.make_contract(reference="HS-2026-010", value=Decimal("250000"), start_date=date(2026, 1, 1),
                                     end_date=date(2026, 9, 30))
    added = services.apply_to_contract(contract, template, users["procurement_officer"], now=NOW)
    assert added == ["Age band"]
    ages = db.session.scalar(select(Dimension).where(Dimension.name == "Age band"))
    assert [g.name for g in ages.groups] == ["Under 25", "25 and over"]
    assert db.session.scalar(select(func.count(Dimension.id)).where(Dimension.name == "Council district")) == 1
    metric = db.session.scalar(select(Metric).where(Metric.contract_id == contract.id))
    assert metric.is_count and metric.target_value is None
    assert metric.target_notes.startswith("The baseline plus 40%")
    assert [d.name for d in metric.dimensions] == ["Age band", "Council district"]
    milestones = db.session.scalars(select(Milestone).where(Milestone.contract_id == contract.id)
                                    .order_by(Milestone.due_date)).all()
    # 90 days after 2026-01-01; the final evaluation, 362 days in, falls after this shorter
    # contract's end: it is set on the end date and its notes say why.
    assert [(m.title, m.due_date, m.status, m.payment_linked) for m in milestones] == [
        ("Coordinated entry live", date(2026, 4, 1), "scheduled", True),
        ("Final evaluation", date(2026, 9, 30), "scheduled", False),
    ]
    assert milestones[0].notes == "" and "362 days after the start" in milestones[1].notes
    rule = db.session.scalar(select(PaymentRule).where(PaymentRule.contract_id == contract.id))
    assert (rule.kind, rule.milestone_id, rule.amount, rule.partial_share_pct) == (
        "milestone", milestones[0].id, Decimal("25000.00"), Decimal(50))
    created = set(db.session.scalars(select(AuditEvent.entity_type).where(AuditEvent.action == "create",
                                                                          AuditEvent.contract_id == contract.id)))
    assert {"metric", "milestone", "paymentrule", "paymentterms"} <= created
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "dimension",
                                                      AuditEvent.summary.contains("from the template")))


def test_a_version_1_document_still_imports_and_applies(app, factory, users):
    document = json.loads(json.dumps(save(factory, users).design))
    document.update(version=1, name="An older export")
    document.pop("milestones")
    document["payment_rules"] = []
    document["payment_terms"] = None
    for metric in document["metrics"]:
        for name in ("is_count", "target_notes", "dimensions"):
            metric.pop(name)
    template = services.import_document(document, users["admin"])
    contract = factory.make_contract(reference="HS-2026-011")
    assert services.apply_to_contract(contract, template, users["procurement_officer"], now=NOW) == []
    metric = db.session.scalar(select(Metric).where(Metric.contract_id == contract.id))
    assert metric.name == "Placements" and metric.dimensions == [] and metric.target_notes == ""


@pytest.mark.parametrize("change, path", [
    (lambda d: d["metrics"][0].update(name="   "), "$.metrics[0].name"),
    (lambda d: d["metrics"][0].update(at_risk_pct="120"), "$.metrics[0].at_risk_pct"),
    (lambda d: d["metrics"][0]["dimensions"][0].update(groups=["Under 25"]), "$.metrics[0].dimensions[0].groups"),
    (lambda d: d["metrics"][0]["dimensions"][1].update(name="age BAND"), "$.metrics[0].dimensions[1].name"),
    (lambda d: d["milestones"][1].update(key="ms1"), "$.milestones[1].key"),
    (lambda d: d["milestones"][0].update(offset_days=-3), "$.milestones[0].offset_days"),
    (lambda d: d["payment_rules"][0].update(milestone="ms9"), "$.payment_rules[0].milestone"),
    (lambda d: d["payment_rules"][0].update(milestone="ms2"), "$.payment_rules[0].milestone"),
    (lambda d: d["payment_rules"][0].update(amount_share=None), "$.payment_rules[0].amount_share"),
    (lambda d: d["payment_rules"][0].update(amount_share="1.5"), "$.payment_rules[0].amount_share"),
])
def test_every_problem_of_the_new_parts_names_its_json_path(app, factory, users, change, path):
    document = json.loads(json.dumps(save(factory, users).design))
    change(document)
    problems = services.document_problems(document)
    assert problems and problems[0][0] == path, problems


def test_a_rule_its_own_form_would_refuse_stops_the_whole_template(app, factory, users):
    # A withhold on a metric that is not payment-linked passes the document's checks (they
    # are the document's) but not the payment rule form's: nothing of the template is written.
    contract = factory.make_contract(reference="HS-2024-002", value=Decimal("100000"))
    placements = factory.make_metric(contract, name="Placements", payment_linked=True)
    db.session.add(PaymentTerms(contract_id=contract.id, billing_period="quarterly", amount_per_period=Decimal("25000")))
    rule = PaymentRule(contract_id=contract.id, kind="withhold", percent=Decimal(10), at_risk_release_pct=Decimal(0))
    rule.metrics = [PaymentRuleMetric(metric_id=placements.id, aggregation="sum")]
    db.session.add(rule)
    db.session.commit()
    document = json.loads(json.dumps(save(factory, users, contract, name="Withhold").design))
    document["metrics"][0]["payment_linked"] = False
    document["name"] = "Withhold, edited by hand"
    template = services.import_document(document, users["admin"])
    target = factory.make_contract(reference="HS-2026-012")
    with pytest.raises(services.TemplateError) as error:
        services.apply_to_contract(target, template, users["procurement_officer"], now=NOW)
    assert "not marked payment-linked" in error.value.message
    assert error.value.problems[0][0] == "$.payment_rules[0].metrics"
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Metric.id)).where(Metric.contract_id == target.id)) == 0
    assert db.session.scalar(select(func.count(PaymentTerms.id)).where(PaymentTerms.contract_id == target.id)) == 0
    assert db.session.get(type(target), target.id).template_id is None


def test_the_template_page_shows_the_new_parts(app, factory, users, client_as):
    template = save(factory, users)
    page = client_as("viewer").get(f"/contract-templates/{template.id}").data.decode()
    for text in ("Council district", "Age band", "The baseline plus 40%", "Coordinated entry live",
                 "90 days after the start", "Milestone payment", "Coordinated entry live: 10% of the contract's value (50% of that if partially met)", "A count"):
        assert text in page, text


def test_a_contract_started_from_the_form_says_what_the_officer_still_sets(app, factory, users, client_as):
    template = save(factory, users)
    forget_age_bands()
    po = client_as("procurement_officer")
    response = po.post(f"/contracts/new?template={template.id}", follow_redirects=True, data={
        "reference": "HS-2026-200", "title": "Outreach north", "kind": "contract", "department": "Human Services",
        "vendor_id": factory.make_vendor().id, "value": "300000", "currency": "USD", "start_date": "2026-01-01",
        "end_date": "2026-12-31", "status": "active", "payment_structure": "milestone",
        "payment_terms": "Per milestone", "problem": "P", "outcomes": "O", "priority_ids": [factory.make_priority().id],
    })
    page = response.data.decode()
    assert response.status_code == 200, page[:2000]
    assert "The template added the dimensions Age band to the city" in page, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))[:3000]
    assert "1 metric has no target yet, so its readings cannot be judged: Placements." in page
    assert "Coordinated entry live" in page
    contract = db.session.scalar(select(factory.Contract).where(factory.Contract.reference == "HS-2026-200"))
    metric = contract.metrics[0]
    assert metric.needs_target
    # The officer sets the target on the metric form, which shows the template's note.
    form = po.get(f"/metrics/{metric.id}/edit").data.decode()
    assert "The baseline plus 40%" in form
