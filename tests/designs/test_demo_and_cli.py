"""The demo city's templates drawn from documented practice, the issue's Done-when (a new contract
started from the workforce-training template shows where it came from), and the command line:
export → import into a fresh database → a new contract from it."""
import json

from sqlalchemy import func, select

from contracts_app.contracts.models import Contract
from contracts_app.designs.models import ContractTemplate
from contracts_app.extensions import db
from contracts_app.priorities.models import Priority
from tests.conftest import demo_city
from tests.demo.conftest import NOW


def _register_from(client, template, reference, vendor_id, priority_id):
    return client.post(f"/contracts/new?template={template.id}", data={
        "reference": reference, "title": "Job training, east side", "kind": "contract",
        "department": "Workforce Development", "vendor_id": vendor_id, "value": "300000", "currency": "USD",
        "start_date": "2027-01-01", "end_date": "2027-12-31", "status": "active",
        "payment_structure": template.payment_structure, "payment_terms": "As the template", "problem": "P",
        "outcomes": "O", "priority_ids": [priority_id],
    })


def test_the_demo_city_ships_five_templates_from_documented_practice(app):
    demo_city(NOW)
    templates = db.session.scalars(select(ContractTemplate).order_by(ContractTemplate.name)).all()
    assert len(templates) == 5 and {t.origin for t in templates} == {"demo"}
    kinds = {t.kind_of_service for t in templates}
    assert kinds == {"Street outreach", "Workforce training", "Street cleaning", "Home visiting", "IT service"}
    for template in templates:
        assert template.design["metrics"], template.name
        assert all("target_value" not in m and "baseline_value" not in m for m in template.design["metrics"])


def test_a_contract_started_from_the_workforce_training_template_shows_where_it_came_from(app):
    from contracts_app.demo.loader import demo_password

    demo_city(NOW)
    template = db.session.scalar(select(ContractTemplate).where(ContractTemplate.kind_of_service == "Workforce training"))
    source = template.source_contract
    priority = db.session.scalar(select(Priority.id).order_by(Priority.id))
    po = app.test_client()
    assert po.post("/login", data={"email": "ana@demo.city", "password": demo_password()}).status_code == 302
    response = _register_from(po, template, "WD-2027-001", source.vendor_id, priority)
    assert response.status_code == 302, response.data.decode()[:1500]
    new = db.session.scalar(select(Contract).where(Contract.reference == "WD-2027-001"))
    assert new.template_id == template.id
    assert sorted(m.name for m in new.metrics) == sorted(m["name"] for m in template.design["metrics"])
    assert all(m.target_value is None and m.baseline_value is None for m in new.metrics)
    page = po.get(f"/contracts/{new.id}").data.decode()
    assert "Started from template" in page and template.name in page
    assert "WD-2027-001" in po.get(f"/contract-templates/{template.id}").data.decode()


def test_export_then_import_into_a_fresh_database_then_a_new_contract_from_it(app, runner, factory, users,
                                                                              tmp_path, client_as):
    from contracts_app.designs import services

    priority = factory.make_priority()
    contract = factory.make_contract(reference="HS-2025-777", priorities=[priority])
    factory.make_metric(contract, name="Placements into housing")
    template = services.save_from_contract(contract, users["procurement_officer"], "Outreach (Elsewhere)",
                                           "Street outreach", "Exported from another city.")
    exported = runner.invoke(args=["templates", "export", str(template.id)])
    assert exported.exit_code == 0, exported.output
    document = json.loads(exported.output)
    assert (document["format"], document["version"], document["name"]) == (
        "rdc-contract-template", 2, "Outreach (Elsewhere)")
    path = tmp_path / "outreach.json"
    path.write_text(exported.output, encoding="utf-8")

    # The other city's tracker: a fresh database with its own people.
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    officer = factory.make_user("procurement_officer", email="olu@elsewhere.test")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**document, "metrics": [{"key": "m1"}]}), encoding="utf-8")
    refused = runner.invoke(args=["templates", "import", str(bad), "--as", officer.email])
    assert refused.exit_code == 1 and "$.metrics[0]" in refused.output
    dry = runner.invoke(args=["templates", "import", str(path), "--as", officer.email, "--dry-run"])
    assert dry.exit_code == 0 and "Nothing was written" in dry.output
    assert "(1 metric, 0 milestones, 0 payment rules)" in dry.output
    assert db.session.scalar(select(func.count()).select_from(ContractTemplate)) == 0
    done = runner.invoke(args=["templates", "import", str(path), "--as", officer.email])
    assert done.exit_code == 0, done.output
    imported = db.session.scalar(select(ContractTemplate))
    assert imported.origin == "imported" and imported.name == "Outreach (Elsewhere)"

    vendor = factory.make_vendor(name="Elsewhere Outreach")
    priority = factory.make_priority()
    po = client_as("procurement_officer", user=officer)
    response = _register_from(po, imported, "EL-2027-001", vendor.id, priority.id)
    assert response.status_code == 302, response.data.decode()[:1500]
    new = db.session.scalar(select(Contract).where(Contract.reference == "EL-2027-001"))
    assert new.template_id == imported.id and [m.name for m in new.metrics] == ["Placements into housing"]


def test_the_command_line_refuses_unknown_templates_and_people(app, runner, users, tmp_path):
    assert "no template with id 999" in runner.invoke(args=["templates", "export", "999"]).output
    path = tmp_path / "t.json"
    path.write_text("{}", encoding="utf-8")
    assert "No active user" in runner.invoke(args=["templates", "import", str(path), "--as", "nobody@x.test"]).output
    viewer = users["viewer"]
    assert "may not import" in runner.invoke(args=["templates", "import", str(path), "--as", viewer.email]).output
