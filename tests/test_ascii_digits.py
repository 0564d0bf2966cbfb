"""Issue 12, section 3: numbers are typed with the ASCII digits 0-9 only. Python's int(),
Decimal(), str.isdigit() and strptime take full-width ("１２３") and Arabic-Indic ("١٢٣")
digits; every numeric input refuses them with a message saying so, and writes nothing: web
forms, query strings, the API (bodies and query parameters), the spreadsheet and CSV imports,
and the CLI."""
from datetime import date

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms import SelectField, SelectMultipleField

from contracts_app.digits import FOREIGN_DIGITS_MESSAGE, ascii_digits, coerce_id, has_foreign_digits, whole_number
from contracts_app.forms_common import AsciiDateField, BaseForm, NumberField, PlainDateField, WholeNumberField
from contracts_app.metrics import bulk
from contracts_app.metrics.models import Reading
from contracts_app.priorities.models import Priority
from tests.api.conftest import ApiClient, make_token
from tests.imports.conftest import import_city  # noqa: F401  (a fixture)

FULL_WIDTH = "１２"
ARABIC_INDIC = "١٢"
FOREIGN = [FULL_WIDTH, ARABIC_INDIC, "1２", "۱۲", "²"]


@pytest.mark.parametrize("text", FOREIGN)
def test_the_helpers_refuse_other_digits(text):
    assert has_foreign_digits(text)
    assert not ascii_digits(text)
    with pytest.raises(ValueError, match="digits 0–9"):
        whole_number(text)
    with pytest.raises(ValueError):
        coerce_id(text)


def test_the_helpers_take_ascii_digits():
    assert whole_number(" 12 ") == 12 and whole_number("-3") == -3 and coerce_id("7") == 7 and coerce_id(7) == 7
    assert ascii_digits("0123") and not ascii_digits("") and not ascii_digits("1.5")
    with pytest.raises(ValueError):
        whole_number("1_000")  # int() takes it


class _Form(BaseForm):
    count = WholeNumberField("Count")
    day = AsciiDateField("Day")
    plain_day = PlainDateField("Plain day")
    amount = NumberField("Amount")
    owner = SelectField("Owner", coerce=coerce_id, choices=[(12, "Twelve")])
    priorities = SelectMultipleField("Priorities", coerce=coerce_id, choices=[(12, "Twelve")])


@pytest.mark.parametrize("field, typed", [
    ("count", FULL_WIDTH), ("count", ARABIC_INDIC), ("day", "２０２５-01-01"), ("plain_day", "２０２５-01-01"),
    ("amount", FULL_WIDTH), ("amount", ARABIC_INDIC),
])
def test_form_fields_refuse_other_digits_with_a_message(app, field, typed):
    with app.test_request_context(method="POST"):
        form = _Form(formdata=MultiDict({field: typed}), meta={"csrf": False})
        form.validate()
        assert form[field].data is None
        assert "digits 0–9" in " ".join(form[field].errors), form[field].errors


def test_form_fields_take_ascii_digits(app):
    with app.test_request_context(method="POST"):
        form = _Form(formdata=MultiDict({"count": "12", "day": "2025-01-01", "plain_day": "2025-01-01", "amount": "12",
                                         "owner": "12", "priorities": ["12"]}), meta={"csrf": False})
        assert form.validate(), form.errors
        assert (form.count.data, form.day.data, form.owner.data, form.priorities.data) == (12, date(2025, 1, 1), 12, [12])


@pytest.mark.parametrize("typed", [FULL_WIDTH, ARABIC_INDIC])
def test_a_select_refuses_an_id_in_other_digits(app, typed):
    with app.test_request_context(method="POST"):
        form = _Form(formdata=MultiDict({"owner": typed, "priorities": [typed]}), meta={"csrf": False})
        assert not form.validate()
        assert form.owner.errors and form.priorities.errors


def test_the_priority_form_refuses_a_full_width_year_and_writes_nothing(client_as, db):
    response = client_as("cdo").post("/priorities/new", data={
        "name": "Vision Zero", "outcome": "No traffic deaths", "owner_id": "0", "target_year": "２０３０"})
    assert response.status_code == 200
    assert "digits 0–9" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Priority)) == 0


def test_query_strings_ignore_other_digits_and_never_fail(client_as, factory):
    viewer = client_as("viewer")
    factory.make_contract(reference="ONLY-ONE")
    for url in ("/contracts?priority=１", "/contracts?page=２", "/portfolio?priority=²", "/portfolio?priority=١",
                "/portfolio?ending_within=３０", "/audit?from=２０２５-01-01"):
        response = viewer.get(url)
        assert response.status_code in (200, 403), url  # the audit log is the admin's
    assert "ONLY-ONE" in viewer.get("/contracts?priority=１").get_data(as_text=True)  # the filter is dropped, said so


def test_the_api_refuses_other_digits_in_bodies_and_query_parameters(app, db, users, factory):
    contract = factory.make_contract(contract_manager_id=users["contract_manager"].id)
    metric = factory.make_metric(contract)
    officer = ApiClient(app, make_token(users["procurement_officer"]))
    for url, field in (("/contracts?priority=１", "priority"), ("/contracts?per_page=١٠", "per_page"),
                       ("/flags?contract=１", "contract"), ("/contracts?page=²", "page")):
        response = officer.get(url)
        assert response.status_code == 422, url
        assert field in response.get_json()["error"]["fields"], url
    assert "digits 0–9" in officer.get("/contracts?priority=１").get_json()["error"]["fields"]["priority"]
    body = {"name": "Placements", "unit": "count", "direction": "increase", "baseline_value": "１８", "target_value": 30}
    response = officer.post(f"/contracts/{contract.id}/metrics", body)
    assert response.status_code == 422
    assert "digits 0–9" in response.get_json()["error"]["fields"]["baseline_value"]
    reading = officer.post(f"/metrics/{metric.id}/readings", {"period_start": "2025-08-01", "value": "٢١"})
    assert reading.status_code == 422 and "value" in reading.get_json()["error"]["fields"]
    # Nor spaces, exponents or separators in a number given as a string (the document's pattern).
    for value in (" 21", "2e1", "1,000", "21."):
        refused = officer.post(f"/metrics/{metric.id}/readings", {"period_start": "2025-08-01", "value": value})
        assert refused.status_code == 422, value
    assert db.session.scalar(select(func.count()).select_from(Reading)) == 0


def test_the_readings_import_refuses_other_digits_in_every_cell(db, factory, users):
    contract = factory.make_contract(contract_manager_id=users["contract_manager"].id, start_date=date(2025, 1, 1))
    metric = factory.make_metric(contract)
    full_width_id = "".join(chr(ord(c) + 0xFEE0) for c in str(metric.id))
    rows = [
        {"metric_id": full_width_id, "period_start": "2025-07-01", "value": "1", "note": ""},
        {"metric_id": str(metric.id), "period_start": "2025-08-01", "value": "١٩", "note": ""},
        {"metric_id": str(metric.id), "period_start": "２０２５-09-01", "value": "1", "note": ""},
    ]
    with pytest.raises(bulk.BulkReadingsError) as raised:
        bulk.write_readings(rows, users["procurement_officer"], now=None)
    problems = {(p.index, p.column): p.message for p in raised.value.problems}
    assert problems[(0, "metric_id")] == FOREIGN_DIGITS_MESSAGE
    assert "digits 0–9" in problems[(1, "value")]
    assert (2, "period_start") in problems
    assert db.session.scalar(select(func.count()).select_from(Reading)) == 0


def test_the_contracts_import_refuses_other_digits(import_city):
    from contracts_app.imports.plan import build_plan
    from tests.imports.conftest import contract_only, example, to_csv

    plan = build_plan(to_csv([contract_only(start_date="２０２６-01-01")]), import_city["procurement_officer"])
    assert not plan.ok and any(error.column == "start_date" for error in plan.errors)
    plan = build_plan(to_csv([example(0, metric_period_targets="2026-01-01=１８", metric_due_days="１０")]),
                      import_city["procurement_officer"])
    assert not plan.ok
    columns = {error.column: error.message for error in plan.errors}
    assert "digits 0–9" in columns["metric_period_targets"] and "digits 0–9" in columns["metric_due_days"]


def test_the_cli_refuses_an_id_in_other_digits(runner, users):
    result = runner.invoke(args=["tokens", "revoke", "１"])
    assert result.exit_code == 2 and "digits 0–9" in result.output


def test_a_check_in_time_and_length_refuse_other_digits(app):
    from contracts_app.management.forms import CheckInForm

    with app.test_request_context(method="POST"):
        form = CheckInForm(formdata=MultiDict({"scheduled_for": "2025-10-01", "start_time": "１０:００",
                                               "duration_minutes": "６０"}), meta={"csrf": False})
        assert not form.validate()
        assert "digits 0–9" in " ".join(form.start_time.errors)
        assert "digits 0–9" in " ".join(form.duration_minutes.errors)


def test_page_numbers_in_other_digits_show_the_first_page(client_as):
    admin = client_as("admin")
    audit = admin.get("/audit?page=２")
    assert audit.status_code == 200 and "is not a page number" in audit.get_data(as_text=True)
    assert admin.get("/inbox?page=２").status_code == 200
