"""Every route, every role: the expected status code. A new route without an entry here fails."""
import io
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from contracts_app.attachments.services import attach
from contracts_app.auth.models import User
from contracts_app.decisions.models import DecisionTask
from contracts_app.extensions import db
from contracts_app.imports.models import ImportUpload
from contracts_app.management.models import ActionItem, CheckIn, Flag
from contracts_app.spend.models import Payment
from contracts_app.metrics.models import REPORTED_BY_VENDOR
from contracts_app.vendors.models import VendorAccess, VendorSubmission
from tests import factories
from tests.conftest import ROLES as STAFF_ROLES, database_snapshot
from tests.headers import assert_security_headers

# Staff roles, and the vendor contact (of the ids contract's vendor, with access to it): the
# vendor gets 403 on every staff page (vendors.routes.keep_vendor_contacts_to_their_pages).
VENDOR = "vendor"
ROLES = [*STAFF_ROLES, VENDOR]
ALL = set(STAFF_ROLES)
VENDOR_ONLY = {VENDOR}
PO = {"procurement_officer"}
PO_AND_OWN_CM = {"procurement_officer", "contract_manager"}
PRIORITY_EDITORS = {"admin", "cdo", "procurement_officer"}
DIMENSION_EDITORS = {"admin", "procurement_officer"}
ADMIN = {"admin"}
PAYMENT_EDITORS = {"procurement_officer", "admin"}

# endpoint -> (url template, roles allowed to GET it). None: POST-only, GET answers 405;
# "redirect": every role is sent on (302); "moved": an earlier address (301); "public": for
# machines, no sign-in, the same answer for everyone (the health check: 200 or 503, JSON);
# "open": a page for everyone, signed in or not (200).
MATRIX = {
    "main.index": ("/", "redirect"),
    "auth.login": ("/login", "redirect"),
    "auth.logout": ("/logout", None),
    "auth.account": ("/account", ALL | VENDOR_ONLY),
    "auth.users": ("/users", ADMIN),
    "auth.new_user": ("/users/new", ADMIN),
    "auth.edit_user": ("/users/{user}/edit", ADMIN),
    "auth.unlock": ("/users/{user}/unlock", None),
    "auth.unlink_sso": ("/users/{user}/unlink-sso", None),
    # Single sign-on is not configured in the matrix's app: its start and callback are 404.
    "auth.oidc_login": ("/auth/oidc/login", None),
    "auth.oidc_callback": ("/auth/oidc/callback", "not_found"),
    "audit.index": ("/audit", ADMIN),
    "priorities.index": ("/priorities", ALL),
    "priorities.new": ("/priorities/new", PRIORITY_EDITORS),
    "priorities.edit": ("/priorities/{priority}/edit", PRIORITY_EDITORS),
    "dimensions.index": ("/dimensions", ALL),
    "dimensions.new": ("/dimensions/new", DIMENSION_EDITORS),
    "dimensions.edit": ("/dimensions/{dimension}/edit", DIMENSION_EDITORS),
    "contracts.index": ("/contracts", ALL),
    "contracts.detail": ("/contracts/{contract}", ALL),
    "contracts.new": ("/contracts/new", PO),
    "contracts.edit": ("/contracts/{contract}/edit", PO),
    "contracts.archive": ("/contracts/{contract}/archive", PO),
    "contracts.restore": ("/contracts/{contract}/restore", None),
    "contracts.vendors": ("/vendors", ALL),
    "contracts.vendor_detail": ("/vendors/{vendor}", ALL),
    "contracts.vendor_edit": ("/vendors/{vendor}/edit", PO),
    "contracts.departments": ("/departments", ALL),
    "designs.index": ("/contract-templates", ALL),
    "designs.detail": ("/contract-templates/{template}", ALL),
    "designs.export": ("/contract-templates/{template}.json", ALL),
    "designs.save": ("/contracts/{contract}/save-template", PAYMENT_EDITORS),
    "designs.import_page": ("/contract-templates/import", PAYMENT_EDITORS),
    # Published for everyone, signed in or not (contracts_app/public); an unknown file is a 404.
    "public.data_index": ("/public/data", "open"),
    "public.data_file": ("/public/data/unknown.csv", "not_found"),
    "public.home": ("/public", "open"),
    "public.priority": ("/public/priorities/{priority}", "open"),
    "public.priorities_csv": ("/public/priorities.csv", "open"),
    "public.priority_csv": ("/public/priorities/{priority}.csv", "open"),
    "public.contracts": ("/public/contracts", "open"),
    "public.contracts_csv": ("/public/contracts.csv", "open"),
    "public.contract": ("/public/contracts/{contract}", "open"),
    "public.contract_csv": ("/public/contracts/{contract}.csv", "open"),
    "public.contract_ocds": ("/public/contracts/{contract}/ocds.json", "open"),
    "contracts.department_edit": ("/departments/{department}/edit", PO),
    "metrics.new": ("/contracts/{contract}/metrics/new", PO),
    "metrics.detail": ("/metrics/{metric}", ALL),
    "metrics.edit": ("/metrics/{metric}/edit", PO),
    "metrics.targets": ("/metrics/{metric}/targets", PO),
    "metrics.new_reading": ("/metrics/{metric}/readings/new", PO_AND_OWN_CM),
    "metrics.edit_reading": ("/readings/{reading}/edit", PO_AND_OWN_CM),
    "metrics.period_readings": ("/contracts/{contract}/readings", PO_AND_OWN_CM),
    "milestones.new": ("/contracts/{contract}/milestones/new", PO_AND_OWN_CM),
    "milestones.edit": ("/milestones/{milestone}/edit", PO_AND_OWN_CM),
    "management.flags": ("/flags", ALL),
    "management.flag_detail": ("/flags/{flag}", ALL),
    "management.resolve_flag": ("/flags/{others_flag}/resolve", None),
    "management.contract_checkins": ("/contracts/{contract}/checkins", ALL),
    "management.new_checkin": ("/contracts/{contract}/checkins/new", PO_AND_OWN_CM),
    "management.checkin_detail": ("/checkins/{checkin}", ALL),
    "management.edit_checkin": ("/checkins/{checkin}/edit", PO_AND_OWN_CM),
    "management.record_checkin": ("/checkins/{checkin}/record", PO_AND_OWN_CM),
    "management.cancel_checkin": ("/checkins/{others_checkin}/cancel", None),
    "management.checkin_ics": ("/checkins/{checkin}/invite.ics", ALL),
    "management.update_action_item": ("/action-items/{others_item}/status", None),
    "notifications.inbox": ("/inbox", ALL),
    "notifications.mark_read": ("/inbox/1/read", None),
    "notifications.mark_all_read": ("/inbox/read-all", None),
    "portfolio.dashboard": ("/portfolio", ALL),
    "portfolio.not_working": ("/portfolio/not-working", ALL),
    "portfolio.evidence": ("/portfolio/evidence", ALL),
    "portfolio.evidence_contracts": ("/portfolio/evidence/goals_metrics", ALL),
    # The certification evidence packet: the chief data officer and admins.
    "portfolio.evidence_packet": ("/portfolio/evidence/packet.zip", {"admin", "cdo"}),
    # Every staff role reads the decision page; deciding (POST) is tested in tests/decisions.
    "decisions.index": ("/decisions", ALL),
    "decisions.decide": ("/decisions/{decision_task}", ALL),
    "portfolio.export_register": ("/portfolio/export/contracts.csv", ALL),
    "portfolio.export_readings": ("/portfolio/export/readings.csv", ALL),
    "portfolio.priority": ("/priorities/{priority}", ALL),
    "portfolio.priority_moved": ("/portfolio/priorities/{priority}", "moved"),
    "portfolio.scorecard": ("/portfolio/contracts/{contract}", ALL),
    "portfolio.vendor_scorecard": ("/portfolio/vendors/{vendor}", ALL),
    # The ids contract is active: GET explains there is nothing to evaluate yet (200), POST redirects.
    "portfolio.evaluation": ("/portfolio/contracts/{contract}/evaluation", PO_AND_OWN_CM),
    # CSV import: procurement officers (they create contracts); {upload} is the procurement officer's own.
    "imports.upload": ("/imports/contracts", PO),
    "imports.template": ("/imports/contracts/template.csv", PO),
    "imports.preview": ("/imports/contracts/{upload}", PO),
    "imports.commit": ("/imports/contracts/{upload}/commit", None),
    # Readings spreadsheet: procurement officers and contract managers (each row then checked
    # against the contracts they may enter readings for); {readings_upload} is the officer's own.
    "imports.readings_download": ("/imports/readings/due.xlsx", PO_AND_OWN_CM),
    "imports.readings_upload": ("/imports/readings", PO_AND_OWN_CM),
    "imports.readings_preview": ("/imports/readings/{readings_upload}", PO),
    "imports.readings_commit": ("/imports/readings/{readings_upload}/commit", None),
    # Payments spreadsheet: as the readings one (each row checked with can_record_payments);
    # {payments_upload} is the procurement officer's own.
    "imports.payments_template": ("/imports/payments/template.csv", PO_AND_OWN_CM),
    "imports.payments_upload": ("/imports/payments", PO_AND_OWN_CM),
    "imports.payments_preview": ("/imports/payments/{payments_upload}", PO),
    "imports.payments_commit": ("/imports/payments/{payments_upload}/commit", None),
    # Open contracting data: procurement officers and administrators; {ocds_upload} is the
    # procurement officer's own.
    "imports.ocds_upload": ("/imports/ocds", PAYMENT_EDITORS),
    "imports.ocds_preview": ("/imports/ocds/{ocds_upload}", PO),
    "imports.ocds_commit": ("/imports/ocds/{ocds_upload}/commit", None),
    # Payments made: procurement officers and the contract's own manager (not admins).
    "spend.new_payment": ("/contracts/{contract}/payments/new", PO_AND_OWN_CM),
    "spend.edit_payment": ("/payments/{payment}/edit", PO_AND_OWN_CM),
    "spend.void_payment": ("/payments/{payment}/void", PO_AND_OWN_CM),
    # My work: every role; it shows only the signed-in user's own contracts and items.
    "work.index": ("/work", ALL),
    # Evidence files: every staff role downloads (vendor contacts: tests/attachments/test_web.py);
    # attaching is for who may change the record.
    "attachments.download": ("/attachments/{attachment}", ALL),
    "attachments.attach_to_contract": ("/contracts/{contract}/attachments", PO_AND_OWN_CM),
    "attachments.attach_to_checkin": ("/checkins/{checkin}/attachments", PO_AND_OWN_CM),
    "attachments.attach_to_reading": ("/readings/{reading}/attachments", PO_AND_OWN_CM),
    # Vendor reporting: the vendor contact's own pages, the invitation link (works signed out or
    # in; an unknown token is a 404 for everyone), and the staff side.
    "vendors.home": ("/vendor/", VENDOR_ONLY),
    "vendors.contract": ("/vendor/contracts/{contract}", VENDOR_ONLY),
    "vendors.submit": ("/vendor/contracts/{contract}/submissions", None),
    "vendors.invitation": ("/invitations/unknown-token", "not_found"),
    "vendors.invite": ("/contracts/{contract}/vendor-contacts/new", PO_AND_OWN_CM),
    "vendors.revoke": ("/contracts/{contract}/vendor-contacts/{vendor_user}/revoke", None),
    "vendors.queue": ("/verification", PO_AND_OWN_CM),
    "vendors.accept": ("/submissions/{others_submission}/accept", None),
    "vendors.return_submission": ("/submissions/{others_submission}/return", None),
    # Operations: the admins' page, and the endpoints for machines (tests/operations): /healthz
    # without sign-in; /metrics needs its own token and does not exist while METRICS_TOKEN is unset.
    # Payments (contracts_app/payments): every staff role reads terms, rules and statements and
    # may preview (what if); procurement officers and admins set terms and rules; procurement
    # officers approve, recompute and revise. {statement} is approved, {draft_statement} a draft.
    "payments.contract_payments": ("/contracts/{contract}/payments", ALL),
    "payments.terms": ("/contracts/{contract}/payments/terms", PAYMENT_EDITORS),
    "payments.new_rule": ("/contracts/{contract}/payments/rules/new/withhold", PAYMENT_EDITORS),
    "payments.edit_rule": ("/payments/rules/{rule}/edit", PAYMENT_EDITORS),
    "payments.end_rule": ("/payments/rules/{rule}/end", PAYMENT_EDITORS),
    "payments.statement": ("/payments/statements/{statement}", ALL),
    "payments.statement_csv": ("/payments/statements/{statement}.csv", ALL),
    "payments.memo": ("/payments/statements/{statement}/memo", ALL),
    "payments.approve": ("/payments/statements/{draft_statement}/approve", None),
    "payments.recompute": ("/payments/statements/{draft_statement}/recompute", None),
    "payments.revise": ("/payments/statements/{statement}/revise", PO),
    "payments.what_if": ("/contracts/{contract}/payments/what-if", ALL),
    "operations.index": ("/admin/operations", ADMIN),
    "operations.retry_notification": ("/admin/operations/notifications/1/retry", None),
    "operations.healthz": ("/healthz", "public"),
    "operations.metrics": ("/metrics", "not_found"),
}

# Roles that reach the endpoint but find nothing there: a vendor contact may download files,
# but only their own submissions' (tests/attachments), so the contract's evidence file is a 404
# to them, as if it did not exist.
NOT_FOUND_FOR = {"attachments.download": VENDOR_ONLY}

# Who may POST to a POST-only endpoint, where it is not the procurement officer.
WRITERS = {"vendors.submit": VENDOR_ONLY, "vendors.revoke": PO_AND_OWN_CM, "auth.unlock": ADMIN, "auth.unlink_sso": ADMIN,
           "operations.retry_notification": ADMIN, "payments.terms": PAYMENT_EDITORS,
           "payments.new_rule": PAYMENT_EDITORS, "payments.edit_rule": PAYMENT_EDITORS,
           "payments.end_rule": PAYMENT_EDITORS,
           "designs.save": PAYMENT_EDITORS, "designs.import_page": PAYMENT_EDITORS}

# Write endpoints: a POST by a role not allowed must be refused before anything is read.
WRITES = {
    endpoint: spec for endpoint, spec in MATRIX.items()
    if spec[1] not in (ALL, "redirect", "moved", "not_found", "public", "open")
    # GET-only pages, and the inbox's own-notification writes (open to every role, tested in
    # tests/notifications) are not role-restricted writes.
    and endpoint not in ("auth.logout", "auth.oidc_login", "auth.users", "audit.index", "operations.index", "notifications.mark_read", "notifications.mark_all_read",
                         "imports.template", "imports.preview", "imports.readings_download", "imports.readings_preview",
                          "imports.payments_template", "imports.payments_preview", "imports.ocds_preview",
                          "vendors.home", "vendors.contract", "vendors.queue", "portfolio.evidence_packet")
}


def _build_city():
    """A user per role, and a row of every kind the matrix's URLs name; returns their ids."""
    users = factories.make_users(STAFF_ROLES)
    priority = factories.make_priority()
    contract = factories.make_contract(priorities=[priority], contract_manager_id=users["contract_manager"].id)
    users[VENDOR] = factories.make_user(VENDOR, vendor_id=contract.vendor_id)
    db.session.add(VendorAccess(contract_id=contract.id, user_id=users[VENDOR].id))
    metric = factories.make_metric(contract)
    reading = factories.make_reading(metric, date(2025, 8, 1), 21)
    milestone = factories.make_milestone(contract)

    # Active management: a flag and a scheduled check-in on this contract (its manager may
    # write), and the same on another manager's contract for the POST-only endpoints (which
    # the WRITES test expects only the procurement officer to pass).
    other = factories.make_contract(contract_manager_id=factories.make_user("contract_manager").id)
    management = {}
    for key, target in (("", contract), ("others_", other)):
        target_metric = metric if target is contract else factories.make_metric(target)
        flag = Flag(contract_id=target.id, subject_type="metric", subject_id=target_metric.id, metric_id=target_metric.id,
                    period_start=date(2025, 8, 1), kind="off_track", severity="high")
        held = CheckIn(contract_id=target.id, status="held", scheduled_for=date(2025, 9, 1), held_on=date(2025, 9, 1))
        pending = CheckIn(contract_id=target.id, status="scheduled", pending_contract_id=target.id, scheduled_for=date(2025, 10, 20))
        db.session.add_all([flag, held, pending])
        db.session.flush()
        item = ActionItem(checkin_id=held.id, contract_id=target.id, description="Add an intake worker", owner="Vendor",
                          due_date=date(2025, 11, 1))
        db.session.add(item)
        db.session.commit()
        # A vendor's submission waiting on the other manager's contract (accept/return: the
        # procurement officer's only).
        target_metric.reported_by = REPORTED_BY_VENDOR
        submission = VendorSubmission(metric_id=target_metric.id, period_start=date(2025, 8, 1), period_end=date(2025, 8, 31),
                                      value=21, submitted_by_id=users[VENDOR].id)
        db.session.add(submission)
        db.session.commit()
        management.update({f"{key}flag": flag.id, f"{key}checkin": pending.id, f"{key}item": item.id,
                           f"{key}submission": submission.id})
    # A staged CSV import (header only: committing it reports the error and writes nothing).
    staged = ImportUpload(uploaded_by_id=users["procurement_officer"].id, encoding="utf-8", content="reference,title\r\n")
    readings = ImportUpload(uploaded_by_id=users["procurement_officer"].id, encoding="utf-8", kind="readings",
                            content="Metric id,Period start,Value\r\n")
    payments = ImportUpload(uploaded_by_id=users["procurement_officer"].id, encoding="utf-8", kind="payments",
                            content="Contract reference,Paid on,Amount,Invoice reference\r\n")
    ocds = ImportUpload(uploaded_by_id=users["procurement_officer"].id, encoding="utf-8", kind="ocds",
                        content='{"version": "1.1", "releases": [{"id": "1"}]}')
    payment = Payment(contract_id=contract.id, paid_on=date(2025, 8, 15), amount=Decimal("1000"), invoice_reference="INV-1")
    db.session.add_all([staged, readings, payments, ocds, payment])
    db.session.commit()
    # Payment terms, a rule, an approved statement and a draft one.
    from contracts_app.payments.models import PaymentRule, PaymentStatement, PaymentTerms

    metric.payment_linked = True
    db.session.add(PaymentTerms(contract_id=contract.id, billing_period="quarterly", amount_per_period=25000))
    db.session.add(PaymentRule(contract_id=contract.id, kind="grace", grace_periods=1))
    statement_rows = {}
    for key, start, end, state in (("statement", date(2025, 7, 1), date(2025, 9, 30), "approved"),
                                   ("draft_statement", date(2025, 10, 1), date(2025, 12, 31), "draft")):
        row = PaymentStatement(contract_id=contract.id, period_start=start, period_end=end, period_number=1,
                               period_label="Q", number=f"{contract.reference}-{key}", status=state, currency="USD",
                               approved_at=datetime(2025, 10, 16, tzinfo=timezone.utc) if state == "approved" else None,
                               total=25000, computed_at=datetime(2025, 10, 15, tzinfo=timezone.utc), inputs={}, missing=[])
        db.session.add(row)
        statement_rows[key] = row
    db.session.commit()
    rule_id = db.session.scalar(select(PaymentRule.id))
    # A renewal decision task on the contract (opened by the sweep in real life).
    task = DecisionTask(contract_id=contract.id, point="end", point_key="end", decision_date=contract.end_date)
    db.session.add(task)
    db.session.commit()
    # An evidence file on the contract (in this process's attachments folder, which outlives
    # the copied database: see tests/conftest.attachments_dir).
    evidence = attach(contract, FileStorage(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "evidence.pdf"), users["procurement_officer"])
    from contracts_app.designs.services import save_from_contract

    template = save_from_contract(contract, users["procurement_officer"], "Matrix template", "Street outreach", "")
    from contracts_app.dimensions.services import create_dimension
    dimension = create_dimension(users["admin"], "Council district", "District 1\nDistrict 2")
    ids = {
        "template": template.id,
        "user": users["viewer"].id, "priority": priority.id, "contract": contract.id, "vendor": contract.vendor_id,
        "department": contract.department_id,
        "metric": metric.id, "reading": reading.id, "milestone": milestone.id, **management, "upload": staged.id,
        "attachment": evidence.id, "readings_upload": readings.id, "vendor_user": users[VENDOR].id,
        "rule": rule_id, **{key: row.id for key, row in statement_rows.items()},
        "payments_upload": payments.id, "payment": payment.id, "ocds_upload": ocds.id,
        "decision_task": task.id, "dimension": dimension.id,
    }
    return {"users": {role: user.id for role, user in users.items()}, "ids": ids}


@pytest.fixture
def matrix_city(app):
    """Built once per test process and copied into each test's database: the matrix below is
    some 1,000 requests, each on a fresh database."""
    return database_snapshot(("permissions matrix",), _build_city)


@pytest.fixture
def users(matrix_city):
    """The city's user per role (overrides the shared fixture, whose users would not be in the
    copied database)."""
    return {role: db.session.get(User, user_id) for role, user_id in matrix_city["users"].items()}


@pytest.fixture
def ids(matrix_city):
    return matrix_city["ids"]


def test_it_covers_every_route(app):
    # The JSON API (/api/...) authenticates by token and has its own role matrix: tests/api/test_permissions.py.
    endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static" and not rule.rule.startswith("/api/")
    }
    assert endpoints == set(MATRIX)


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_it_sends_anonymous_users_to_sign_in(client, ids, endpoint):
    url, allowed = MATRIX[endpoint]
    response = client.get(url.format(**ids))
    if endpoint == "auth.login" or allowed == "open":
        assert response.status_code == 200
    elif allowed == "public":
        assert response.status_code in (200, 503) and response.is_json
    elif allowed == "not_found":
        assert response.status_code == 404
    elif allowed is None:
        assert response.status_code in (302, 405)
    else:
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    assert_security_headers(response, f"anonymous GET {url}")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_it_gives_each_role_the_expected_status(client_as, ids, role, endpoint):
    url, allowed = MATRIX[endpoint]
    response = client_as(role).get(url.format(**ids))
    if allowed == "public":
        assert response.status_code in (200, 503) and response.is_json, f"{role} GET {url}"
        return
    if allowed == "redirect":
        expected = 302
    elif allowed == "open":
        expected = 200
    elif allowed == "not_found":
        expected = 404
    elif allowed == "moved":  # a page's earlier address: a permanent redirect to the page
        expected = 403 if role == VENDOR else 301
    elif allowed is None:
        expected = 405
    elif role in NOT_FOUND_FOR.get(endpoint, ()):
        expected = 404
    else:
        expected = 200 if role in allowed else 403
    assert response.status_code == expected, f"{role} GET {url}"
    # Every page, redirect, download and refusal carries the security headers (issue 12, section 3).
    assert_security_headers(response, f"{role} GET {url}")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(WRITES))
def test_it_refuses_writes_by_roles_not_allowed(client_as, ids, role, endpoint):
    url, allowed = WRITES[endpoint]
    allowed = allowed or WRITERS.get(endpoint, PO)
    response = client_as(role).post(url.format(**ids), data={})
    if role in allowed:
        assert response.status_code in (200, 302, 400), f"{role} POST {url}"
    else:
        assert response.status_code == 403, f"{role} POST {url}"
    assert_security_headers(response, f"{role} POST {url}")


def test_it_keeps_a_contract_manager_off_other_managers_contracts(client_as, factory, users):
    other_manager = factory.make_user("contract_manager")
    contract = factory.make_contract(contract_manager_id=other_manager.id)
    metric = factory.make_metric(contract)
    reading = factory.make_reading(metric, date(2025, 8, 1), 21)
    milestone = factory.make_milestone(contract)
    manager = client_as("contract_manager")
    for url in (
        f"/metrics/{metric.id}/readings/new",
        f"/readings/{reading.id}/edit",
        f"/contracts/{contract.id}/milestones/new",
        f"/milestones/{milestone.id}/edit",
    ):
        assert manager.get(url).status_code == 403, url
        assert manager.post(url, data={}).status_code == 403, url
    # The contract's own manager may.
    assert client_as("contract_manager", user=other_manager).get(f"/metrics/{metric.id}/readings/new").status_code == 200


def test_it_refuses_any_write_on_an_archived_contract(client_as, factory, users):
    from contracts_app.db_types import utcnow
    from contracts_app.extensions import db

    contract = factory.make_contract(contract_manager_id=users["contract_manager"].id)
    metric = factory.make_metric(contract)
    contract.archived_at = utcnow()
    db.session.commit()
    officer = client_as("procurement_officer")
    for url in (f"/contracts/{contract.id}/edit", f"/contracts/{contract.id}/metrics/new",
                f"/metrics/{metric.id}/readings/new", f"/contracts/{contract.id}/milestones/new",
                f"/contracts/{contract.id}/attachments"):
        assert officer.get(url).status_code == 403, url
