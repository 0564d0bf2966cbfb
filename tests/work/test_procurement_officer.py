"""My work for a procurement officer: drafts, incomplete contracts, contracts ending soon, imports
in progress and flags, each only for the contracts they registered."""
from datetime import date, timedelta

from contracts_app.extensions import db
from contracts_app.imports.models import ImportUpload
from tests.work.conftest import NOW, page_of, section, squash

TODAY = date(2026, 1, 20)


def registered(factory, users, **kw):
    return factory.make_contract(procurement_officer_id=users["procurement_officer"].id, **kw)


def with_metric(factory, contract):
    factory.make_metric(contract)
    return contract


def test_it_lists_my_drafts(factory, users, client_as):
    draft = registered(factory, users, reference="D-1", status="draft")
    with_metric(factory, registered(factory, users, reference="ACTIVE-1"))
    html = section(page_of(client_as("procurement_officer")), "drafts")
    assert f'data-contract="{draft.id}"' in html and "ACTIVE-1" not in html
    assert f'href="/contracts/{draft.id}/edit"' in html


def test_it_lists_contracts_with_no_metrics_or_no_goals(factory, users, client_as):
    no_metrics = registered(factory, users, reference="NO-METRICS")
    no_goals = with_metric(factory, registered(factory, users, reference="NO-GOALS", outcomes="  "))
    neither = registered(factory, users, reference="NEITHER", problem="", outcomes="")
    complete = with_metric(factory, registered(factory, users, reference="COMPLETE"))
    completed = registered(factory, users, reference="FINISHED", status="completed")
    html = section(page_of(client_as("procurement_officer")), "incomplete")
    for contract, why in ((no_metrics, "no metrics"), (no_goals, "no goals"), (neither, "no metrics and no goals")):
        item = html.split(f'data-contract="{contract.id}"', 1)[1].split("</li>", 1)[0]
        assert why in squash(item)
    assert f'data-contract="{complete.id}"' not in html and f'data-contract="{completed.id}"' not in html
    assert f'href="/contracts/{no_metrics.id}/metrics/new"' in html


def test_it_lists_contracts_ending_within_120_days_soonest_first(factory, users, client_as):
    start = date(2025, 1, 1)
    later = with_metric(factory, registered(factory, users, reference="E-LATER", start_date=start,
                                            end_date=TODAY + timedelta(days=120)))
    sooner = with_metric(factory, registered(factory, users, reference="E-SOONER", start_date=start,
                                             end_date=TODAY + timedelta(days=10)))
    with_metric(factory, registered(factory, users, reference="E-FAR", start_date=start, end_date=TODAY + timedelta(days=121)))
    with_metric(factory, registered(factory, users, reference="E-PAST", start_date=start, end_date=TODAY - timedelta(days=1)))
    html = section(page_of(client_as("procurement_officer")), "ending")
    assert html.index(f'data-contract="{sooner.id}"') < html.index(f'data-contract="{later.id}"')
    assert "E-FAR" not in html and "E-PAST" not in html
    assert "ends 30 Jan 2026 (10 days)" in squash(html)


def test_it_lists_my_imports_in_progress(factory, users, client_as):
    me, other = users["procurement_officer"], factory.make_user("procurement_officer")
    staged = ImportUpload(uploaded_by_id=me.id, filename="spring.csv", encoding="utf-8", content="reference\r\n")
    done = ImportUpload(uploaded_by_id=me.id, filename="winter.csv", encoding="utf-8", content="x", committed_at=NOW)
    theirs = ImportUpload(uploaded_by_id=other.id, filename="theirs.csv", encoding="utf-8", content="x")
    db.session.add_all([staged, done, theirs])
    db.session.commit()
    html = section(page_of(client_as("procurement_officer")), "imports")
    assert "spring.csv" in html and f'href="/imports/contracts/{staged.id}"' in html
    assert "winter.csv" not in html and "theirs.csv" not in html


def test_it_lists_flags_on_the_contracts_i_registered(factory, users, client_as):
    mine = with_metric(factory, registered(factory, users, reference="PO-MINE"))
    flag = factory.make_flag(mine, kind="no_checkin", period_start=date(2026, 1, 1))
    someone_elses = factory.make_contract(reference="PO-OTHER")
    factory.make_flag(someone_elses, kind="no_checkin", period_start=date(2026, 1, 1))
    html = section(page_of(client_as("procurement_officer")), "flags")
    assert f'data-flag="{flag.id}"' in html and "PO-OTHER" not in html
    assert "No check-in held for more than 90 days" in squash(html)


def test_each_empty_section_says_so_in_one_line(client_as):
    page = page_of(client_as("procurement_officer"))
    for section_id, sentence in (
        ("drafts", "No drafts."),
        ("incomplete", "Every contract has metrics and goals."),
        ("ending", "No contracts ending within 120 days."),
        ("imports", "No imports in progress."),
        ("flags", "No open flags on the contracts you registered."),
    ):
        assert f'<p class="muted empty">{sentence}</p>' in section(page, section_id)


def test_it_offers_a_new_contract_and_an_import(client_as):
    head = page_of(client_as("procurement_officer")).split('<div class="page-head">', 1)[1].split('id="', 1)[0]
    assert 'href="/contracts/new"' in head and 'href="/imports/contracts"' in head


def test_a_contract_manager_is_not_offered_a_new_contract(client_as):
    assert 'href="/contracts/new"' not in page_of(client_as("contract_manager"))
