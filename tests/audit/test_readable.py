"""Change history in a person's language: labels, names instead of ids, no internal counters,
and the contract page's history a page at a time."""
from datetime import datetime, timedelta, timezone

from flask import render_template_string

from contracts_app.audit.readable import readable
from contracts_app.extensions import db
from tests.querycount import count_queries

TEMPLATE = '{% from "audit/_macros.html" import history %}{{ history(events) }}'


def _render(app, events):
    with app.test_request_context():
        return render_template_string(TEMPLATE, events=events)


def test_it_names_the_people_and_vendors_an_id_points_at(app, factory, users, make_event):
    ben = factory.make_user("contract_manager", name="Ben Okafor")
    carla = factory.make_user("contract_manager", name="Carla Diaz")
    vendor = factory.make_vendor(name="Harbor Light Services")
    event = make_event(
        users["procurement_officer"], entity_type="contract",
        before={"contract_manager_id": ben.id, "vendor_id": None}, after={"contract_manager_id": carla.id, "vendor_id": vendor.id},
    )
    html = _render(app, [event])
    assert '<span class="field">Contract manager</span>' in html
    assert "<del>Ben Okafor</del> → <ins>Carla Diaz</ins>" in html
    assert '<span class="field">Vendor</span>' in html and "<ins>Harbor Light Services</ins>" in html
    assert "manager id" not in html.lower() and f">{ben.id}<" not in html


def test_it_leaves_out_counters_and_derived_values(app, users, make_event):
    contract_event = make_event(
        users["cdo"], entity_type="contract",
        before={"title": "Old", "health": "on_track", "open_flags_high": 0, "status": "draft"},
        after={"title": "New", "health": "off_track", "open_flags_high": 2, "status": "active"},
    )
    metric_event = make_event(users["cdo"], entity_type="metric", before={"status": "no_data", "unit": "count"},
                              after={"status": "on_track", "unit": "people"})
    [contract_row, metric_row] = readable([contract_event, metric_event])
    assert [change.label for change in contract_row.changes] == ["Status", "Title"]  # a contract's status is chosen
    assert [change.label for change in metric_row.changes] == ["Unit"]  # a metric's is computed


def test_it_labels_fields_in_words(app, users, make_event):
    event = make_event(users["cdo"], entity_type="contract", before={"is_public": True, "end_date": "2027-06-30"},
                       after={"is_public": False, "end_date": "2027-12-31"})
    assert [change.label for change in readable([event])[0].changes] == ["End", "Published as open data"]


def test_it_says_when_the_row_an_id_pointed_at_is_gone(app, users, make_event):
    event = make_event(users["cdo"], entity_type="contract", before={"contract_manager_id": None},
                       after={"contract_manager_id": 987654})
    [change] = readable([event])[0].changes
    assert change.after == "(deleted, id 987654)"


def test_it_looks_names_up_once_per_kind_whatever_the_number_of_events(app, factory, users, make_event):
    managers = [factory.make_user("contract_manager") for _ in range(6)]

    def events(count):
        return [
            make_event(users["cdo"], entity_type="contract", before={"contract_manager_id": managers[i].id},
                       after={"contract_manager_id": managers[i + 1].id, "vendor_id": None})
            for i in range(count)
        ]

    few, many = events(1), events(5)
    for event in few + many:  # loaded, as a page's query returns them
        db.session.refresh(event)
    with count_queries() as one:
        readable(few)
    with count_queries() as five:
        readable(many)
    assert one.count == five.count == 1


def test_the_contract_page_shows_its_history_a_page_at_a_time(client_as, factory, users, make_event):
    contract = factory.make_contract()
    start = datetime(2026, 3, 1, tzinfo=timezone.utc)
    for n in range(30):
        make_event(users["cdo"], entity_type="contract", entity_id=contract.id, contract_id=contract.id,
                   summary=f"Change number {n:02d}", created_at=start + timedelta(hours=n))
    viewer = client_as("viewer")
    first = viewer.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "Change number 29" in first and "Change number 05" in first and "Change number 04" not in first
    assert "Page 1 of 2 (30 changes)" in first and "Older changes" in first
    second = viewer.get(f"/contracts/{contract.id}?history_page=2").get_data(as_text=True)
    assert "Change number 04" in second and "Change number 00" in second and "Change number 05" not in second
    assert "Newer changes" in second
    bad = viewer.get(f"/contracts/{contract.id}?history_page=abc")
    assert bad.status_code == 200 and "Change number 29" in bad.get_data(as_text=True)


def test_it_shows_coded_values_by_their_label_and_a_named_id_once(app, factory, users, make_event):
    vendor = factory.make_vendor(name="WalkBike Collaborative")
    event = make_event(
        users["cdo"], entity_type="contract", action="create", before=None,
        after={"kind": "grant", "payment_structure": "pay_for_success", "status": "active",
               "vendor_id": vendor.id, "vendor": vendor.name},
    )
    changes = {change.label: change.after for change in readable([event])[0].changes}
    assert changes == {
        "Kind": "Grant", "Payment structure": "Pay for success", "Status": "Active", "Vendor": "WalkBike Collaborative",
    }


def test_a_reviewed_submission_names_its_reviewer_and_its_state_in_words(app, factory, users, make_event):
    ben = factory.make_user("contract_manager", name="Ben Okafor")
    event = make_event(
        ben, entity_type="vendorsubmission",
        before={"state": "pending", "reviewed_by_id": None}, after={"state": "accepted", "reviewed_by_id": ben.id},
    )
    html = _render(app, [event])
    assert '<span class="field">Reviewed by</span>' in html and "<ins>Ben Okafor</ins>" in html
    assert "<del>Waiting for verification</del> → <ins>Accepted</ins>" in html


def test_an_invitation_hides_its_token_digest(app, users, make_event):
    event = make_event(users["contract_manager"], entity_type="vendorinvitation",
                       before=None, after={"token_hash": "ab" * 32, "expires_at": "2026-12-09T12:00:00+00:00"})
    html = _render(app, [event])
    assert "ab" * 32 not in html and "Token" not in html


def test_dates_and_timestamps_read_in_the_one_date_style(app, users, make_event):
    event = make_event(
        users["contract_manager"], entity_type="reading",
        before={"period_start": "2026-10-01", "recorded_at": "2026-11-10T20:30:00+00:00", "note": "2026-02-30"},
        after={"period_start": "2026-11-01", "recorded_at": "2026-12-02T04:21:34.372959+00:00", "note": "Recount"},
    )
    html = _render(app, [event])
    assert "<del>1 Oct 2026</del> → <ins>1 Nov 2026</ins>" in html
    assert "<del>10 Nov 2026, 14:30 CST</del> → <ins>1 Dec 2026, 22:21 CST</ins>" in html
    assert "<del>2026-02-30</del>" in html  # shaped like a date, but not one: as typed
    assert "T20:30" not in html
