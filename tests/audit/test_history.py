"""The history macro (used on the contract page) and the contract history query."""
from datetime import datetime, timezone

from flask import render_template_string

from contracts_app.audit.queries import contract_history

TEMPLATE = '{% from "audit/_macros.html" import history %}{{ history(events) }}'


def _render(app, events):
    with app.test_request_context():
        return render_template_string(TEMPLATE, events=events)


def test_it_renders_each_change_as_before_and_after(app, users, make_event):
    event = make_event(
        users["procurement_officer"], summary="Updated contract C-1",
        before={"title": "Old title", "value": "100000", "is_public": True},
        after={"title": "New title", "value": "100000", "is_public": False},
    )

    html = _render(app, [event])

    assert 'class="history"' in html and 'class="changes"' in html
    assert "Updated contract C-1" in html
    assert users["procurement_officer"].name in html
    assert "<del>Old title</del> → <ins>New title</ins>" in html
    assert "<del>yes</del> → <ins>no</ins>" in html
    assert "100000" not in html  # unchanged fields are left out


def test_it_renders_a_creation_as_the_new_values(app, users, make_event):
    event = make_event(users["cdo"], action="create", before=None, after={"id": 4, "name": "Vision Zero"})

    html = _render(app, [event])

    assert "<ins>Vision Zero</ins>" in html
    assert "<del>" not in html


def test_it_escapes_values(app, users, make_event):
    event = make_event(users["cdo"], before={"name": "a"}, after={"name": "<b>bold</b>"})

    html = _render(app, [event])

    assert "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_it_says_when_there_is_no_history(app):
    assert "No changes recorded yet." in _render(app, [])


def test_it_returns_a_contracts_events_newest_first(factory, users, make_event):
    contract = factory.make_contract()
    other = factory.make_contract()
    older = make_event(users["cdo"], contract_id=contract.id, created_at=datetime(2026, 3, 1, tzinfo=timezone.utc))
    newer = make_event(users["cdo"], contract_id=contract.id, created_at=datetime(2026, 3, 2, tzinfo=timezone.utc))
    make_event(users["cdo"], contract_id=other.id)

    assert [e.id for e in contract_history(contract.id)] == [newer.id, older.id]
    assert [e.id for e in contract_history(contract.id, limit=1)] == [newer.id]
