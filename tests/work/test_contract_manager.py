"""My work for a contract manager: each section, its empty state, and only their own contracts."""
from datetime import date, datetime, time, timezone

from contracts_app.work import queries
from tests.work.conftest import NOW, page_of, section, squash


def my_contract(factory, users, **kw):
    # 1 Jul 2025 – 30 Jun 2027 (the factory's term), managed by the role fixture's manager.
    return factory.make_contract(contract_manager_id=users["contract_manager"].id, **kw)


def test_it_lists_overdue_readings_with_an_enter_button_on_that_period(factory, users, client_as):
    contract = my_contract(factory, users, reference="HS-1")
    metric = factory.make_metric(contract, name="Placements", cadence="monthly", due_days=10)
    for month in (7, 8, 9, 10):
        factory.make_reading(metric, date(2025, month, 1), 25)
    # Nov (due 10 Dec) and Dec 2025 (due 10 Jan, overdue after 3 grace days) have no reading.
    html = section(page_of(client_as("contract_manager")), "overdue")
    assert f'href="/metrics/{metric.id}/readings/new?period=2025-12-01"' in html
    assert f'href="/metrics/{metric.id}/readings/new?period=2025-11-01"' in html
    assert "2025-10-01" not in html  # recorded
    text = squash(html)
    assert "Placements, Dec 2025" in text and "was due 10 Jan 2026" in text
    assert text.index("Dec 2025") < text.index("Nov 2025")  # most recent first


def test_it_lists_a_few_overdue_periods_per_metric_and_counts_the_rest(factory, users, client_as):
    metric = factory.make_metric(my_contract(factory, users), name="Visits", cadence="monthly", due_days=10)
    html = section(page_of(client_as("contract_manager")), "overdue")  # Jul..Dec 2025 missing: 6 periods
    assert html.count("readings/new?period=") == queries.OVERDUE_SHOWN_PER_METRIC
    assert "…and 3 earlier periods of Visits without a reading" in squash(html)
    assert f'href="/metrics/{metric.id}"' in html


def test_a_period_in_its_grace_days_is_due_soon_not_overdue(factory, users, client_as):
    contract = my_contract(factory, users)
    # Due 18 Jan (Dec ends 31 Dec + 18 days): past due, within the 3 grace days on 20 Jan.
    metric = factory.make_metric(contract, name="Calls", cadence="monthly", due_days=18)
    for month in (7, 8, 9, 10, 11):
        factory.make_reading(metric, date(2025, month, 1), 25)
    page = page_of(client_as("contract_manager"))
    assert "No readings overdue." in page
    soon = squash(section(page, "due-soon"))
    assert "Calls, Dec 2025" in soon and "due 18 Jan 2026 (in its grace days)" in soon


def test_it_lists_readings_due_in_the_next_14_days(factory, users, client_as):
    contract = my_contract(factory, users)
    monthly = factory.make_metric(contract, name="Exits", cadence="monthly", due_days=25)
    for month in (7, 8, 9, 10, 11, 12):
        factory.make_reading(monthly, date(2025, month, 1), 25)
    html = section(page_of(client_as("contract_manager")), "due-soon")
    # Jan 2026 ends 31 Jan, due 25 Feb: more than 14 days away.
    assert "Exits" not in html
    assert "No readings due in the next 14 days." in html


def test_a_reading_due_soon_whose_period_has_started_has_an_enter_button(factory, users, client_as):
    contract = my_contract(factory, users)
    metric = factory.make_metric(contract, name="Exits", cadence="monthly", due_days=0)
    for month in (7, 8, 9, 10, 11, 12):
        factory.make_reading(metric, date(2025, month, 1), 25)
    html = section(page_of(client_as("contract_manager")), "due-soon")
    assert "Exits, Jan 2026" in squash(html) and "due 31 Jan 2026" in squash(html)
    assert f'href="/metrics/{metric.id}/readings/new?period=2026-01-01"' in html
    assert "the vendor reports it" not in html


def test_a_vendor_reported_reading_says_so_and_can_still_be_entered(factory, users, client_as):
    contract = my_contract(factory, users)
    metric = factory.make_metric(contract, name="Exits", cadence="monthly", due_days=0, reported_by="vendor")
    for month in (7, 8, 9, 10, 11, 12):
        factory.make_reading(metric, date(2025, month, 1), 25)
    html = section(page_of(client_as("contract_manager")), "due-soon")
    assert "Exits, Jan 2026" in squash(html) and "due 31 Jan 2026 · the vendor reports it" in squash(html)
    assert f'href="/metrics/{metric.id}/readings/new?period=2026-01-01"' in html


def test_it_lists_proposed_checkins_to_confirm_with_their_date(factory, users, client_as):
    contract = my_contract(factory, users, reference="HS-9")
    proposed = factory.make_checkin(contract, status="proposed", scheduled_for=date(2026, 1, 27),
                                    start_time=time(10, 0), proposed_by_sweep=True)
    other = my_contract(factory, users)
    factory.make_checkin(other, status="scheduled", scheduled_for=date(2026, 1, 28))
    html = section(page_of(client_as("contract_manager")), "proposed-checkins")
    assert f'data-checkin="{proposed.id}"' in html
    assert "Proposed for 27 Jan 2026 at 10:00" in squash(html)
    assert f'href="/checkins/{proposed.id}/edit"' in html
    assert html.count("data-checkin=") == 1  # a scheduled one is confirmed already


def test_it_lists_open_action_items_owned_by_my_name_or_email(factory, users, client_as):
    me = users["contract_manager"]
    contract = factory.make_contract()  # action items are mine by owner, whoever manages the contract
    checkin = factory.make_checkin(contract, status="held", scheduled_for=date(2026, 1, 5))
    by_name = factory.make_action_item(checkin, description="Send the data", owner=f"  {me.name.upper()} ")
    by_email = factory.make_action_item(checkin, description="Call the vendor", owner=me.email.title())
    factory.make_action_item(checkin, description="Done already", owner=me.name, status="done")
    factory.make_action_item(checkin, description="Someone else's", owner="Harbor Light")
    html = section(page_of(client_as("contract_manager")), "action-items")
    assert f'data-action-item="{by_name.id}"' in html and f'data-action-item="{by_email.id}"' in html
    assert "Done already" not in html and "Someone else" not in html
    assert f"written as your name ({me.name}) or email ({me.email}), ignoring case" in squash(html)


def test_it_groups_open_flags_by_contract_with_the_reason_in_words(factory, users, client_as):
    contract = my_contract(factory, users, reference="HS-1", title="Housing")
    placements = factory.make_metric(contract, name="Placements", cadence="quarterly", due_days=30,
                                     targets={date(2025, 10, 1): 39})
    factory.make_reading(placements, date(2025, 7, 1), 20, status="off_track")
    factory.make_reading(placements, date(2025, 10, 1), 31, status="off_track")
    off = factory.make_flag(contract, metric=placements, kind="off_track", period_start=date(2025, 10, 1))
    visits = factory.make_metric(contract, name="Visits", cadence="monthly", due_days=10)
    overdue = factory.make_flag(contract, metric=visits, kind="overdue", period_start=date(2025, 12, 1))
    milestone = factory.make_milestone(contract, title="Open the shelter", due_date=date(2026, 1, 10))
    missed = factory.make_flag(contract, milestone=milestone, kind="milestone_missed", period_start=date(2026, 1, 10))
    second = my_contract(factory, users, reference="HS-2")
    lapse = factory.make_flag(second, kind="no_checkin", period_start=date(2026, 1, 1))
    factory.make_flag(second, kind="no_checkin", period_start=date(2025, 10, 1), resolved_at=NOW)

    html = section(page_of(client_as("contract_manager")), "flags")
    first, rest = html.split(f'data-contract="{second.id}"')
    assert f'data-contract="{contract.id}"' in first  # high flags first
    text = squash(first)
    assert "Placements: 31 against a target of 39 — off track since Q3 2025" in text
    assert "Visits: Dec 2025 reading overdue since 14 Jan 2026 (due 10 Jan 2026)" in text
    assert "Milestone “Open the shelter” was due 10 Jan 2026 and is not met yet" in text
    assert "No check-in held for more than 90 days (none since 3 Oct 2025)" in squash(rest)
    for flag in (off, overdue, missed, lapse):
        assert f'href="/flags/{flag.id}"' in html
    assert rest.count("data-flag=") == 1  # the resolved one is not listed


def test_each_empty_section_says_so_in_one_line(client_as):
    page = page_of(client_as("contract_manager"))
    for section_id, sentence in (
        ("overdue", "No readings overdue."),
        ("due-soon", "No readings due in the next 14 days."),
        ("proposed-checkins", "No proposed check-ins to confirm."),
        ("action-items", "No open action items."),
        ("flags", "No open flags on your contracts."),
    ):
        assert f'<p class="muted empty">{sentence}</p>' in section(page, section_id)


def test_it_shows_only_the_signed_in_managers_contracts(factory, users, client_as):
    other_manager = factory.make_user("contract_manager")
    theirs = factory.make_contract(reference="NOT-MINE", contract_manager_id=other_manager.id)
    metric = factory.make_metric(theirs, name="Their metric")
    factory.make_flag(theirs, metric=metric, kind="overdue", period_start=date(2025, 12, 1))
    factory.make_checkin(theirs, status="proposed")
    archived = my_contract(factory, users, reference="ARCHIVED-1", archived_at=NOW)
    factory.make_metric(archived, name="Archived metric")
    page = page_of(client_as("contract_manager"))
    assert "NOT-MINE" not in page and "Their metric" not in page and "ARCHIVED-1" not in page
    assert "NOT-MINE" in page_of(client_as("contract_manager", other_manager))


def test_due_readings_judges_periods_at_the_now_it_is_given(factory, users, app):
    contract = my_contract(factory, users)
    metric = factory.make_metric(contract, cadence="monthly", due_days=10)
    mine = queries.managed_by(users["contract_manager"])
    overdue, _ = queries.due_readings(mine, datetime(2025, 8, 14, 15, tzinfo=timezone.utc))
    assert [p.period.start for o in overdue for p in o.periods] == [date(2025, 7, 1)]  # due 10 Aug + 3 days
    overdue, soon = queries.due_readings(mine, datetime(2025, 8, 13, 15, tzinfo=timezone.utc))
    assert overdue == [] and [s.period.start for s in soon] == [date(2025, 7, 1)]
    assert metric.id == soon[0].metric_id


def test_reasons_name_a_range_and_a_run_of_at_risk_periods(factory, users, app):
    contract = my_contract(factory, users, reference="HS-R")
    wait = factory.make_metric(contract, name="Wait days", cadence="monthly", direction="range",
                               range_low=5, range_high=10, unit="days")
    factory.make_reading(wait, date(2025, 8, 1), 12, status="on_track")
    factory.make_reading(wait, date(2025, 9, 1), 13, status="at_risk")
    factory.make_reading(wait, date(2025, 10, 1), 14, status="at_risk")
    factory.make_flag(contract, metric=wait, kind="at_risk_twice", period_start=date(2025, 10, 1))
    share = factory.make_metric(contract, name="Share housed", cadence="monthly", unit="%", targets={date(2025, 11, 1): 80})
    factory.make_reading(share, date(2025, 11, 1), 61.5, status="off_track")
    factory.make_flag(contract, metric=share, kind="off_track", period_start=date(2025, 11, 1))
    reasons = {r.kind: r.reason for r in queries.open_flag_reasons(queries.managed_by(users["contract_manager"]))}
    assert reasons["at_risk_twice"] == "Wait days: 14 against a range of 5–10 — at risk since Sep 2025"
    assert reasons["off_track"] == "Share housed: 61.5% against a target of 80% — off track since Nov 2025"


def test_each_contract_with_overdue_readings_links_to_the_one_form_for_its_metrics(factory, users, client_as):
    contract = my_contract(factory, users, reference="HS-2")
    factory.make_metric(contract, name="Placements", cadence="monthly", due_days=10)
    html = section(page_of(client_as("contract_manager")), "overdue")
    assert f'href="/contracts/{contract.id}/readings"' in html


def test_it_opens_with_each_sections_count_linking_down_to_it(factory, users, client_as):
    metric = factory.make_metric(my_contract(factory, users), name="Visits", cadence="monthly", due_days=10)
    factory.make_flag(metric.contract, metric=metric, kind="overdue", period_start=date(2025, 12, 1))
    page = page_of(client_as("contract_manager"))
    summary = squash(page.split('<nav class="work-summary"', 1)[1].split("</nav>", 1)[0])
    # Jul..Dec 2025 are overdue on 20 Jan 2026: six periods, though the list shows a few of them.
    assert "Readings overdue 6" in summary and "Flags 1" in summary
    assert "Check-ins to confirm 0" in summary and "Action items 0" in summary
    for anchor in ("overdue", "due-soon", "proposed-checkins", "action-items", "flags"):
        assert f'href="#{anchor}"' in page and f'id="{anchor}"' in page


def test_a_long_due_soon_list_shows_four_contracts_and_folds_the_rest(factory, users, client_as):
    for n in range(6):
        contract = my_contract(factory, users, reference=f"DUE-{n}")
        metric = factory.make_metric(contract, name=f"Calls {n}", cadence="monthly", due_days=18)
        for month in (7, 8, 9, 10, 11):
            factory.make_reading(metric, date(2025, month, 1), 25)
    html = section(page_of(client_as("contract_manager")), "due-soon")
    shown, folded = html.split('<details class="work-more">')
    assert shown.count('class="card work-group"') == 4
    assert folded.count('class="card work-group"') == 2
    assert "Show the other 2 contracts" in squash(folded)
