"""Vendor submissions: submitting (refusals included), the verification queue, accepting (the
reading, its path, statuses, the overdue flag) and returning (the reason, the vendor told)."""
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from contracts_app.attachments.models import Attachment
from contracts_app.audit.models import AuditEvent
from contracts_app.errors import ConflictError
from contracts_app.extensions import db
from contracts_app.metrics.models import Reading
from contracts_app.notifications.models import Notification
from contracts_app.vendors import services
from contracts_app.vendors.models import ACCEPTED, PENDING, RETURNED, VendorSubmission
from tests.attachments import files
from tests.vendors.conftest import NOW, OCTOBER, ended_period


def submit(contract, dana, metric, value, note="", start=OCTOBER, now=NOW):
    return services.submit_value(contract, dana, metric, start, value, note, now=now)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


# --- submitting ------------------------------------------------------------------------------


def test_it_records_a_submission_waiting_for_verification(contract, dana, placements):
    submission = submit(contract, dana, placements, Decimal(24), "From the HMIS extract")
    assert (submission.state, submission.value, submission.note) == (PENDING, Decimal(24), "From the HMIS extract")
    assert (submission.period_start, submission.period_end) == (OCTOBER, date(2026, 10, 31))
    assert submission.submitted_by_id == dana.id and submission.submitted_at == NOW
    assert count(Reading) == 0  # not a reading until verified
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert (event.actor_id, event.entity_type, event.contract_id) == (dana.id, "vendorsubmission", contract.id)
    assert event.summary == "Dana Cole submitted Placements into housing for Oct 2026: 24"


def test_an_off_track_value_needs_a_note(contract, dana, placements):
    with pytest.raises(services.VendorError, match="would be off track.*explain it in a note") as error:
        submit(contract, dana, placements, Decimal(5))
    assert error.value.field == "note"
    assert count(VendorSubmission) == 0
    assert submit(contract, dana, placements, Decimal(5), "Two caseworkers left in September").state == PENDING


def test_an_off_track_decrease_metric_needs_a_note_too(contract, dana, median_days):
    with pytest.raises(services.VendorError, match="off track"):
        submit(contract, dana, median_days, Decimal(200))
    assert submit(contract, dana, median_days, Decimal(58)).state == PENDING  # fewer days: on track


def test_one_submission_waits_per_metric_and_period(contract, dana, placements):
    submit(contract, dana, placements, Decimal(24))
    with pytest.raises(services.VendorError, match="already waiting for verification"):
        submit(contract, dana, placements, Decimal(25))
    assert count(VendorSubmission) == 1


def test_the_database_refuses_a_second_pending_submission(contract, dana, placements):
    # What makes two submits at once safe: the partial unique index, not the check before it.
    for value in (24, 25):
        db.session.add(VendorSubmission(metric_id=placements.id, period_start=OCTOBER, period_end=date(2026, 10, 31),
                                        value=value, submitted_by_id=dana.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # Returned and accepted ones do not count.
    for state in (RETURNED, RETURNED, PENDING):
        db.session.add(VendorSubmission(metric_id=placements.id, period_start=OCTOBER, period_end=date(2026, 10, 31),
                                        value=24, state=state, submitted_by_id=dana.id))
    db.session.commit()


@pytest.mark.parametrize("value, start, message, field", [
    (Decimal(-1), OCTOBER, "zero or more", "value"),
    (None, OCTOBER, "Enter the value", "value"),
    (Decimal("1e15"), OCTOBER, "too large", "value"),
    (Decimal(24), date(2026, 11, 1), "has ended", "period"),  # in progress on 10 November
    (Decimal(24), date(2026, 10, 2), "has ended", "period"),  # starts no period
    (Decimal(24), date(2024, 10, 1), "has ended", "period"),  # before the term
    (Decimal(24), "October", "has ended", "period"),
])
def test_it_refuses_bad_values_and_periods(contract, dana, placements, value, start, message, field):
    with pytest.raises(services.VendorError, match=message) as error:
        submit(contract, dana, placements, value, start=start)
    assert error.value.field == field
    assert count(VendorSubmission) == 0


def test_it_refuses_metrics_the_vendor_does_not_report(factory, contract, dana, manager_metric):
    elsewhere = factory.make_metric(factory.make_contract(vendor=contract.vendor), reported_by="vendor")
    for metric in (manager_metric, elsewhere, None):
        with pytest.raises(services.VendorError, match="not one your organisation reports"):
            submit(contract, dana, metric, Decimal(24))


def test_it_refuses_a_period_already_recorded(factory, contract, dana, placements):
    factory.make_reading(placements, OCTOBER, 22)
    with pytest.raises(services.VendorError, match="already recorded"):
        submit(contract, dana, placements, Decimal(24))


def test_the_page_submits_and_shows_the_state(as_user, contract, dana, placements):
    client = as_user(dana)
    period = ended_period(placements)
    key = f"m{placements.id}-{period.start.isoformat()}"
    response = client.post(f"/vendor/contracts/{contract.id}/submissions", data={
        "metric_id": placements.id, "period": period.start.isoformat(), f"{key}-value": "1,024", f"{key}-note": "HMIS",
    })
    assert response.status_code == 302
    submission = db.session.scalar(select(VendorSubmission))
    assert submission.value == Decimal(1024) and submission.period_start == period.start
    html = client.get(f"/vendor/contracts/{contract.id}").get_data(as_text=True)
    assert "Waiting for verification" in html
    assert f'data-period="{period.start.isoformat()}"' not in html  # no longer due


@pytest.mark.parametrize("value, note, message", [
    ("1", "", "would be off track"),
    ("abc", "", "is not a number"),
    ("-3", "", "zero or more"),
    ("", "", "Enter the value"),
])
def test_the_page_says_what_is_wrong_and_saves_nothing(as_user, contract, dana, placements, value, note, message):
    period = ended_period(placements)
    key = f"m{placements.id}-{period.start.isoformat()}"
    response = as_user(dana).post(f"/vendor/contracts/{contract.id}/submissions", data={
        "metric_id": placements.id, "period": period.start.isoformat(), f"{key}-value": value, f"{key}-note": note,
    })
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html and "Not submitted" in html
    assert count(VendorSubmission) == 0


def test_the_page_refuses_a_crafted_metric(as_user, contract, dana, manager_metric):
    client = as_user(dana)
    period = ended_period(manager_metric)
    key = f"m{manager_metric.id}-{period.start.isoformat()}"
    response = client.post(f"/vendor/contracts/{contract.id}/submissions",
                           data={"metric_id": manager_metric.id, "period": period.start.isoformat(), f"{key}-value": "25"})
    assert response.status_code == 200 and "not one your organisation reports" in response.get_data(as_text=True)
    assert count(VendorSubmission) == 0
    assert client.post(f"/vendor/contracts/{contract.id}/submissions", data={"metric_id": "x"}).status_code == 400


# --- accepting and returning ----------------------------------------------------------------


def test_accepting_makes_the_reading_with_who_submitted_and_who_verified(contract, dana, ben, placements):
    submission = submit(contract, dana, placements, Decimal(24), "From the HMIS extract")
    reading = services.accept_submission(submission, ben, now=NOW + timedelta(hours=2))
    assert (reading.value, reading.note, reading.period_start) == (Decimal(24), "From the HMIS extract", OCTOBER)
    assert (reading.recorded_by_id, reading.submitted_by_id, reading.verified_by_id) == (ben.id, dana.id, ben.id)
    assert reading.status == "on_track"
    db.session.refresh(submission)
    assert (submission.state, submission.reviewed_by_id, submission.reading_id) == (ACCEPTED, ben.id, reading.id)
    db.session.refresh(placements)
    assert placements.status == "on_track" and placements.status_period_start == OCTOBER
    summaries = db.session.scalars(select(AuditEvent.summary).order_by(AuditEvent.id)).all()
    assert summaries[-2:] == [
        "Recorded Placements into housing for Oct 2026: 24 (On track)",
        "Accepted Dana Cole's Placements into housing for Oct 2026: 24",
    ]


def test_accepting_resolves_the_overdue_flag_at_once(factory, contract, dana, ben, placements):
    flag = factory.make_flag(contract, metric=placements, kind="overdue", period_start=OCTOBER)
    other = factory.make_flag(contract, metric=placements, kind="overdue", period_start=date(2026, 9, 1))
    services.accept_submission(submit(contract, dana, placements, Decimal(24)), ben, now=NOW + timedelta(days=5))
    db.session.refresh(flag)
    db.session.refresh(other)
    assert flag.resolved_at == NOW + timedelta(days=5)
    assert flag.resolution_note == "Resolved automatically: the reading arrived."
    assert other.resolved_at is None


def test_accepting_is_refused_when_the_period_was_recorded_meanwhile(factory, contract, dana, ben, placements):
    submission = submit(contract, dana, placements, Decimal(24))
    reading = factory.make_reading(placements, OCTOBER, 22)
    with pytest.raises(ConflictError, match="already has a reading: return this submission") as error:
        services.accept_submission(submission, ben, now=NOW)
    assert error.value.existing_id == reading.id
    db.session.refresh(submission)
    assert submission.state == PENDING and submission.reviewed_by_id is None
    assert count(Reading) == 1


def test_a_submission_is_reviewed_once(contract, dana, ben, placements, users):
    submission = submit(contract, dana, placements, Decimal(24))
    services.accept_submission(submission, ben, now=NOW)
    with pytest.raises(services.SubmissionStateError):
        services.accept_submission(submission, users["procurement_officer"], now=NOW)
    with pytest.raises(services.SubmissionStateError):
        services.return_submission(submission, ben, "Wrong", now=NOW)
    assert count(Reading) == 1


def test_returning_needs_a_reason_tells_the_vendor_and_allows_a_resubmission(contract, dana, ben, placements):
    submission = submit(contract, dana, placements, Decimal(24))
    with pytest.raises(services.VendorError, match="Say why") as error:
        services.return_submission(submission, ben, "  ", now=NOW)
    assert error.value.field == "reason" and submission.state == PENDING
    services.return_submission(submission, ben, "The extract shows 23; please check", now=NOW)
    db.session.refresh(submission)
    assert (submission.state, submission.return_reason, submission.reviewed_by_id) == (
        RETURNED, "The extract shows 23; please check", ben.id,
    )
    note = db.session.scalar(select(Notification))
    assert (note.recipient_id, note.kind, note.link) == (dana.id, "submission_returned", f"/vendor/contracts/{contract.id}")
    assert "The extract shows 23" in note.body
    assert db.session.scalar(select(AuditEvent.summary).order_by(AuditEvent.id.desc())) == (
        "Returned Dana Cole's Placements into housing for Oct 2026"
    )
    again = submit(contract, dana, placements, Decimal(23), now=NOW + timedelta(days=1))
    assert again.state == PENDING and count(Reading) == 0


def test_the_vendor_page_shows_the_return_reason(as_user, contract, dana, ben, placements):
    period = ended_period(placements)
    submission = submit(contract, dana, placements, Decimal(24), start=period.start, now=None)
    services.return_submission(submission, ben, "Please attach the HMIS extract")
    html = as_user(dana).get(f"/vendor/contracts/{contract.id}").get_data(as_text=True)
    assert "Please attach the HMIS extract" in html and "was returned" in html
    assert f'data-period="{period.start.isoformat()}"' in html  # due again


# --- the queue and My work ------------------------------------------------------------------


def test_my_work_counts_the_submissions_to_verify(as_user, client_as, contract, dana, ben, placements, median_days):
    submit(contract, dana, placements, Decimal(24), start=ended_period(placements).start, now=None)
    submit(contract, dana, median_days, Decimal(58), start=ended_period(median_days).start, now=None)
    assert "2 submissions to verify" in as_user(ben).get("/work").get_data(as_text=True)
    assert "2 submissions to verify" in client_as("procurement_officer").get("/work").get_data(as_text=True)
    other_manager = client_as("contract_manager").get("/work").get_data(as_text=True)
    assert "to verify" not in other_manager
    assert "to verify" not in client_as("viewer").get("/work").get_data(as_text=True)


def test_the_queue_lists_what_waits_and_accepts_from_the_page(as_user, client_as, contract, dana, ben, placements):
    period = ended_period(placements)
    submission = submit(contract, dana, placements, Decimal(2), "Staff shortage", start=period.start, now=None)
    manager = as_user(ben)
    html = manager.get("/verification").get_data(as_text=True)
    for text in (contract.reference, placements.name, period.label("monthly"), "Staff shortage", "Dana Cole", "Off track"):
        assert text in html, text
    assert placements.name not in client_as("contract_manager").get("/verification").get_data(as_text=True)
    response = manager.post(f"/submissions/{submission.id}/accept")
    assert response.status_code == 302
    assert db.session.scalar(select(Reading.verified_by_id)) == ben.id
    assert "No submissions waiting" in manager.get("/verification").get_data(as_text=True)
    # Accepting again says so and changes nothing.
    again = manager.post(f"/submissions/{submission.id}/accept", follow_redirects=True)
    assert "already been accepted or returned" in again.get_data(as_text=True)
    assert count(Reading) == 1


def test_returning_from_the_page_needs_a_reason(as_user, contract, dana, ben, placements):
    submission = submit(contract, dana, placements, Decimal(24), start=ended_period(placements).start, now=None)
    manager = as_user(ben)
    response = manager.post(f"/submissions/{submission.id}/return", data={f"s{submission.id}-reason": ""})
    assert response.status_code == 200 and "Say why the submission is returned" in response.get_data(as_text=True)
    assert submission.state == PENDING
    response = manager.post(f"/submissions/{submission.id}/return", data={f"s{submission.id}-reason": "Check the count"})
    assert response.status_code == 302
    db.session.refresh(submission)
    assert submission.state == RETURNED and submission.return_reason == "Check the count"


def test_only_the_contracts_manager_and_procurement_officers_verify(client_as, contract, dana, placements):
    submission = submit(contract, dana, placements, Decimal(24), start=ended_period(placements).start, now=None)
    for role in ("contract_manager", "viewer", "cdo", "admin"):
        client = client_as(role)
        assert client.post(f"/submissions/{submission.id}/accept").status_code == 403, role
        assert client.post(f"/submissions/{submission.id}/return", data={f"s{submission.id}-reason": "x"}).status_code == 403
    assert client_as("procurement_officer").post(f"/submissions/{submission.id}/accept").status_code == 302


# --- who reports, and the readings' history ---------------------------------------------------


def test_the_metric_page_shows_the_path_of_a_verified_reading(client_as, contract, dana, ben, placements):
    services.accept_submission(submit(contract, dana, placements, Decimal(24)), ben, now=NOW)
    html = client_as("viewer").get(f"/metrics/{placements.id}").get_data(as_text=True)
    assert "submitted by Dana Cole, verified by Ben Okafor" in html
    assert "Reported by vendor, verified by the contract manager" in html


def test_the_metric_form_offers_reported_by(client_as, factory, contract):
    po = client_as("procurement_officer")
    assert "Reported by" in po.get(f"/contracts/{contract.id}/metrics/new").get_data(as_text=True)
    data = {"name": "Placements", "unit": "count", "direction": "increase", "baseline_value": "18", "target_value": "30",
            "cadence": "monthly", "due_days": "10", "on_track_pct": "100", "at_risk_pct": "90",
            "indicator_type": "lagging", "reported_by": "vendor", "tolerance_pct": "5"}
    assert po.post(f"/contracts/{contract.id}/metrics/new", data=data).status_code == 302
    from contracts_app.metrics.models import Metric

    metric = db.session.scalar(select(Metric).where(Metric.name == "Placements"))
    assert metric.reported_by == "vendor"
    response = po.post(f"/metrics/{metric.id}/edit", data={**data, "reported_by": "someone"})
    assert response.status_code == 200 and "Choose who reports this metric" in response.get_data(as_text=True)
    db.session.refresh(metric)
    assert metric.reported_by == "vendor"
    assert po.post(f"/metrics/{metric.id}/edit", data={**data, "reported_by": "contract_manager"}).status_code == 302
    db.session.refresh(metric)
    assert metric.reported_by == "contract_manager"


# --- bounded queries --------------------------------------------------------------------------


def test_the_pages_run_the_same_statements_whatever_the_number_of_submissions(as_user, contract, dana, ben, placements,
                                                                               median_days):
    from tests.querycount import count_queries

    vendor, manager = as_user(dana), as_user(ben)
    pages = ((vendor, f"/vendor/contracts/{contract.id}"), (manager, "/verification"), (manager, "/work"))

    def statements():
        counts = []
        for client, url in pages:
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            counts.append(counter.count)
        return counts

    for metric in (placements, median_days):
        submit(contract, dana, metric, Decimal(24), "n", start=date(2026, 1, 1))
    few = statements()
    for metric in (placements, median_days):
        for month in range(2, 8):
            submit(contract, dana, metric, Decimal(24), "n", start=date(2026, month, 1))
    assert statements() == few


def test_a_correction_keeps_the_vendors_path_in_the_history(client_as, contract, dana, ben, placements, users):
    from contracts_app.metrics import services as metric_services

    reading = services.accept_submission(submit(contract, dana, placements, Decimal(24)), ben, now=NOW)
    metric_services.correct_reading(reading, ben, Decimal(23), "One placement was counted twice", now=NOW + timedelta(days=1))
    assert (reading.submitted_by_id, reading.verified_by_id, reading.recorded_by_id) == (None, None, ben.id)
    (revision,) = reading.revisions
    assert (revision.value, revision.submitted_by_id, revision.verified_by_id) == (Decimal(24), dana.id, ben.id)
    html = client_as("viewer").get(f"/metrics/{placements.id}").get_data(as_text=True)
    assert "recorded by Ben Okafor" in html
    assert "submitted by Dana Cole, verified by Ben Okafor on" in html  # the earlier value


# --- evidence files --------------------------------------------------------------------------


def _post_with_files(client, contract, metric, period, value, note, uploads):
    key = f"m{metric.id}-{period.start.isoformat()}"
    data = {"metric_id": metric.id, "period": period.start.isoformat(), f"{key}-value": value, f"{key}-note": note,
            f"{key}-evidence": [(io.BytesIO(content), name) for content, name in uploads]}
    return client.post(f"/vendor/contracts/{contract.id}/submissions", data=data, content_type="multipart/form-data")


def test_a_submission_carries_its_evidence_to_the_verifier(app, as_user, client_as, contract, dana, placements, ben):
    client = as_user(dana)
    period = ended_period(placements)
    response = _post_with_files(client, contract, placements, period, "24", "HMIS extract",
                                [(files.pdf(), "HMIS October.pdf"), (files.csv_text(), "rows.csv")])
    assert response.status_code == 302
    submission = db.session.scalar(select(VendorSubmission))
    evidence = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [(a.owner_kind, a.owner_id, a.original_name, a.content_type) for a in evidence] == [
        ("submission", submission.id, "HMIS October.pdf", "application/pdf"),
        ("submission", submission.id, "rows.csv", "text/csv"),
    ]
    assert evidence[0].uploaded_by_id == dana.id and evidence[0].contract_id == contract.id
    # The vendor sees and downloads their own files; the manager sees them in the queue.
    assert "HMIS October.pdf" in client.get(f"/vendor/contracts/{contract.id}").get_data(as_text=True)
    assert client.get(f"/attachments/{evidence[0].id}").data == files.pdf()
    manager = as_user(ben)
    queue = manager.get("/verification").get_data(as_text=True)
    assert "HMIS October.pdf" in queue and f"/attachments/{evidence[0].id}" in queue
    # Accepted, the value becomes the reading and its evidence stays with it on the metric page.
    assert manager.post(f"/submissions/{submission.id}/accept").status_code == 302
    page = manager.get(f"/metrics/{placements.id}").get_data(as_text=True)
    assert "submitted by Dana Cole, verified by Ben Okafor" in page
    assert f"/attachments/{evidence[0].id}" in page and f"/attachments/{evidence[1].id}" in page


def test_an_empty_file_box_is_no_file(as_user, contract, dana, placements):
    response = _post_with_files(as_user(dana), contract, placements, ended_period(placements), "24", "", [(b"", "")])
    assert response.status_code == 302
    assert count(VendorSubmission) == 1 and count(Attachment) == 0


@pytest.mark.parametrize("content, name, message", [
    (files.html(), "report.pdf", "PDF"),  # a web page named .pdf: judged from the content
    (b"", "empty.pdf", "empty"),
])
def test_a_refused_file_refuses_the_whole_submission(app, as_user, contract, dana, placements, content, name, message):
    period = ended_period(placements)
    before = files.left_files(app.config["ATTACHMENTS_DIR"])  # the folder outlives each test's database
    response = _post_with_files(as_user(dana), contract, placements, period, "24", "", [(files.pdf(), "good.pdf"), (content, name)])
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Not submitted" in html and message in html
    assert count(VendorSubmission) == 0 and count(Attachment) == 0
    assert files.left_files(app.config["ATTACHMENTS_DIR"]) == before  # not even the good file
