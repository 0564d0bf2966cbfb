"""Reading entry that is right by default (issue 10, section 2): the single-metric form's
default period, labels and in-progress confirmation; the contract-period form (all or nothing,
errors on each row); the back-fill prompt on the contract page."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts_app.audit.models import AuditEvent
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.metrics import rules, services
from contracts_app.metrics.models import Reading
from contracts_app.metrics.status import today_for
from tests.metrics.helpers import count


def periods_of(metric):
    contract = metric.contract
    return rules.periods(contract.start_date, contract.end_date, metric.cadence)


def ended(metric):
    today = today_for(utcnow())
    return [p for p in periods_of(metric) if p.end < today]


def in_progress(metric):
    today = today_for(utcnow())
    return next(p for p in periods_of(metric) if p.start <= today <= p.end)


def selected_period(html):
    match = re.search(r'<option (?:selected value="([^"]+)"|value="([^"]+)" selected)', html)
    return match and (match.group(1) or match.group(2))


def url(contract, period=None):
    return f"/contracts/{contract.id}/readings" + (f"?period={period.isoformat()}" if period else "")


# --- the single-metric form ----------------------------------------------------------------


def test_it_defaults_to_the_oldest_ended_period_without_a_reading(po, factory, metric):
    first, second, third = ended(metric)[:3]
    factory.make_reading(metric, first.start, "20")
    factory.make_reading(metric, third.start, "20")
    html = po.get(f"/metrics/{metric.id}/readings/new").get_data(as_text=True)
    assert selected_period(html) == second.start.isoformat()


def test_it_defaults_to_the_period_in_progress_once_the_ended_ones_are_recorded(po, factory, metric):
    for period in ended(metric):
        factory.make_reading(metric, period.start, "20")
    html = po.get(f"/metrics/{metric.id}/readings/new").get_data(as_text=True)
    assert selected_period(html) == in_progress(metric).start.isoformat()


def test_it_says_each_periods_state(po, metric):
    html = po.get(f"/metrics/{metric.id}/readings/new").get_data(as_text=True)
    oldest, current = ended(metric)[0], in_progress(metric)
    assert f"{oldest.label('monthly')} — overdue since " in html
    assert f"{current.label('monthly')} — in progress" in html


def test_it_shows_the_unit_beside_the_value_and_reads_it_with_the_field(po, metric):
    html = po.get(f"/metrics/{metric.id}/readings/new").get_data(as_text=True)
    assert re.search(r'<input[^>]*aria-describedby="value-unit"[^>]*id="value"|<input[^>]*id="value"[^>]*aria-describedby="value-unit"', html)
    assert '<span class="unit" id="value-unit">count</span>' in html
    assert 'inputmode="decimal"' in html and 'type="number"' not in html
    assert '<label for="value">' in html


def test_it_refuses_a_period_in_progress_without_the_confirmation(po, metric):
    current = in_progress(metric)
    response = po.post(f"/metrics/{metric.id}/readings/new", data={"period": current.start.isoformat(), "value": "20"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "is still in progress" in html
    assert re.search(r'has-error">\s*<input[^>]*name="confirm_in_progress"', html)
    assert count(Reading) == 0 and count(AuditEvent) == 0


def test_it_records_a_period_in_progress_with_the_confirmation(po, metric):
    current = in_progress(metric)
    response = po.post(
        f"/metrics/{metric.id}/readings/new",
        data={"period": current.start.isoformat(), "value": "20", "confirm_in_progress": "y"},
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Reading.period_start)) == current.start


def test_it_needs_no_confirmation_for_an_ended_period(po, metric):
    oldest = ended(metric)[0]
    assert po.post(f"/metrics/{metric.id}/readings/new", data={"period": oldest.start.isoformat(), "value": "20"}).status_code == 302


def test_the_service_records_a_period_in_progress_unless_asked_to_refuse(metric, users):
    # The API and the imports call record_reading without the form's confirmation.
    current = in_progress(metric)
    with pytest.raises(services.MetricError) as refused:
        services.record_reading(metric, users["contract_manager"], current.start, Decimal(20), allow_in_progress=False)
    assert refused.value.field == "confirm_in_progress"
    assert count(Reading) == 0
    services.record_reading(metric, users["contract_manager"], current.start, Decimal(20))
    assert count(Reading) == 1


def test_it_keeps_what_was_typed_when_refusing_a_number(po, metric):
    oldest = ended(metric)[0]
    response = po.post(f"/metrics/{metric.id}/readings/new", data={"period": oldest.start.isoformat(), "value": "5 5"})
    html = response.get_data(as_text=True)
    assert "“5 5” is not a number" in html
    assert 'value="5 5"' in html
    assert count(Reading) == 0


def test_it_saves_thousands_as_typed(po, metric):
    oldest = ended(metric)[0]
    po.post(f"/metrics/{metric.id}/readings/new", data={"period": oldest.start.isoformat(), "value": "250,000"})
    assert db.session.scalar(select(Reading.value)) == Decimal(250000)


# --- the contract-period form --------------------------------------------------------------


@pytest.fixture
def three(factory, contract, metric):
    """The contract's monthly metric, a second monthly one and a quarterly one."""
    waiting = factory.make_metric(contract, name="Days waiting", unit="days", direction="decrease",
                                  baseline_value=Decimal(40), target_value=Decimal(20))
    quarterly = factory.make_metric(contract, name="Share housed", unit="%", cadence="quarterly")
    return metric, waiting, quarterly


def test_it_lists_every_metric_whose_period_of_that_date_ended_without_a_reading(po, factory, contract, three):
    placements, waiting, quarterly = three
    first_month = ended(placements)[0]
    factory.make_reading(waiting, first_month.start, "30")
    html = po.get(url(contract, first_month.start)).get_data(as_text=True)
    assert placements.name in html
    assert waiting.name not in html  # recorded already
    # The quarter containing the term's first day has ended: it is listed with its own label.
    assert quarterly.name in html and ended(quarterly)[0].label("quarterly") in html
    assert '<span class="unit" id="readings-0-value-unit">count</span>' in html
    assert 'name="readings-0-value"' in html and 'name="readings-1-note"' in html


def test_it_opens_on_the_oldest_period_lacking_a_reading(po, factory, contract, three):
    placements, waiting, quarterly = three
    first, second = ended(placements)[:2]
    for metric in (placements, waiting):
        factory.make_reading(metric, first.start, "30")
    factory.make_reading(quarterly, ended(quarterly)[0].start, "30")
    html = po.get(url(contract)).get_data(as_text=True)
    assert f"Enter readings for {second.label('monthly')}" in html


def test_it_leaves_out_periods_in_progress(po, contract, three):
    html = po.get(url(contract, in_progress(three[0]).start)).get_data(as_text=True)
    assert 'name="readings-0-value"' not in html
    assert "choose one of the periods above" in html


def _post_rows(client, contract, period, rows):
    data = {}
    for index, (metric, value, note) in enumerate(rows):
        data[f"readings-{index}-metric_id"] = str(metric.id)
        data[f"readings-{index}-value"] = value
        data[f"readings-{index}-note"] = note
    return client.post(url(contract, period), data=data)


def test_it_saves_every_row_in_one_go_and_audits_each(po, contract, three, users):
    placements, waiting, quarterly = three
    first = ended(placements)[0]
    response = _post_rows(po, contract, first.start, [(placements, "25", "Two new staff"), (waiting, "1,250.5", ""), (quarterly, "", "")])
    assert response.status_code == 302
    saved = {r.metric_id: r for r in db.session.scalars(select(Reading))}
    assert set(saved) == {placements.id, waiting.id}  # the blank row is left for later
    assert saved[placements.id].value == Decimal(25) and saved[placements.id].note == "Two new staff"
    assert saved[waiting.id].value == Decimal("1250.5") and saved[waiting.id].period_start == first.start
    assert saved[placements.id].recorded_by_id == users["procurement_officer"].id
    assert count(AuditEvent, AuditEvent.entity_type == "reading", AuditEvent.action == "create") == 2
    # Next: the same period again, as the quarterly metric still lacks its reading.
    assert response.headers["Location"].endswith(f"period={first.start.isoformat()}")


def test_it_saves_nothing_when_one_row_is_wrong_and_says_so_on_each_row(po, contract, three):
    placements, waiting, quarterly = three
    first = ended(placements)[0]
    response = _post_rows(po, contract, first.start, [(placements, "5 5", ""), (waiting, "30", ""), (quarterly, "", "no data")])
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "“5 5” is not a number" in html
    assert "Enter the value, or clear the note" in html
    assert "Please correct the 2 fields marked below; nothing was saved." in html
    assert 'value="30"' in html  # what was typed stays
    assert count(Reading) == 0 and count(AuditEvent) == 0


def test_it_puts_a_service_refusal_on_its_row(po, factory, contract, three):
    placements, waiting, quarterly = three
    first = ended(placements)[0]
    html = po.get(url(contract, first.start)).get_data(as_text=True)
    assert waiting.name in html
    factory.make_reading(waiting, first.start, "30")  # someone else saved it meanwhile
    response = _post_rows(po, contract, first.start, [(placements, "25", ""), (waiting, "31", "")])
    html = response.get_data(as_text=True)
    assert re.search(r'has-error">\s*<label for="readings-1-value"', html)
    assert "is already recorded" in html
    assert count(Reading) == 1  # only the other person's


def test_the_service_reports_every_problem_at_once(contract, three, users):
    placements, waiting, quarterly = three
    first = ended(placements)[0]
    rows = [
        {"metric": placements, "period_start": first.start, "value": Decimal(-1), "note": ""},
        {"metric": waiting, "period_start": first.start, "value": None, "note": "later"},
        {"metric": quarterly, "period_start": in_progress(quarterly).start, "value": Decimal(3), "note": ""},
    ]
    with pytest.raises(services.ReadingsError) as refused:
        services.record_period_readings(contract, users["contract_manager"], rows)
    assert set(refused.value.problems) == {"readings-0-value", "readings-1-value", "readings-2-value"}
    assert "still in progress" in refused.value.problems["readings-2-value"]
    assert count(Reading) == 0


def test_it_refuses_a_form_with_no_value(po, contract, three):
    first = ended(three[0])[0]
    response = _post_rows(po, contract, first.start, [(three[0], "", ""), (three[1], "", "")])
    html = response.get_data(as_text=True)
    assert "Enter at least one value" in html and "Please correct" not in html
    assert count(Reading) == 0


def test_it_refuses_a_metric_of_another_contract(po, factory, contract, three):
    other = factory.make_metric(factory.make_contract(start_date=contract.start_date, end_date=contract.end_date))
    first = ended(three[0])[0]
    assert _post_rows(po, contract, first.start, [(other, "3", "")]).status_code == 400
    assert count(Reading) == 0


def test_it_goes_back_to_the_contract_when_nothing_is_left(po, contract, metric):
    for period in ended(metric)[1:]:
        services.record_reading(metric, None, period.start, Decimal(20))
    first = ended(metric)[0]
    response = _post_rows(po, contract, first.start, [(metric, "20", "")])
    assert response.headers["Location"].endswith(f"/contracts/{contract.id}#metrics")


def test_it_lets_the_contracts_own_manager_in_and_keeps_others_out(client_as, factory, contract, metric):
    first = ended(metric)[0]
    assert client_as("contract_manager").get(url(contract)).status_code == 200
    stranger = client_as("contract_manager", user=factory.make_user("contract_manager"))
    assert stranger.get(url(contract)).status_code == 403
    assert _post_rows(stranger, contract, first.start, [(metric, "20", "")]).status_code == 403
    assert client_as("viewer").get(url(contract)).status_code == 403
    assert count(Reading) == 0


# --- the back-fill prompt on the contract page ---------------------------------------------


def test_the_contract_page_says_how_many_periods_lack_readings_and_links_the_oldest(po, factory, contract, metric):
    periods = ended(metric)
    factory.make_reading(metric, periods[0].start, "20")
    html = " ".join(po.get(f"/contracts/{contract.id}").get_data(as_text=True).split())
    missing = len(periods) - 1
    assert f"{missing} reporting periods have ended without a reading (1 of 1 metric; " in html
    assert 'class="flash flash-warning backfill"' in html  # some are overdue
    assert f'href="/contracts/{contract.id}/readings?period={periods[1].start.isoformat()}"' in html
    assert f"{missing} periods without a reading" in html


def test_the_contract_page_has_no_prompt_when_every_ended_period_is_recorded(po, factory, contract, metric):
    for period in ended(metric):
        factory.make_reading(metric, period.start, "20")
    html = po.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "ended without a reading" not in html


def test_the_prompt_offers_no_link_to_read_only_roles(client_as, contract, metric):
    html = client_as("viewer").get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "ended without a reading" in html
    assert f"/contracts/{contract.id}/readings" not in html


def test_a_contract_registered_mid_term_counts_its_past_periods(po, factory, users):
    today = today_for(utcnow())
    start = rules.add_months(today.replace(day=1), -6)
    contract = factory.make_contract(start_date=start, end_date=start + timedelta(days=720),
                                     contract_manager_id=users["contract_manager"].id)
    factory.make_metric(contract)
    html = po.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "6 reporting periods have ended without a reading" in html


def test_the_prompt_is_not_a_warning_while_nothing_is_overdue(po, factory, contract, metric):
    periods = ended(metric)
    for period in periods[:-1]:
        factory.make_reading(metric, period.start, "20")
    metric.due_days = 366  # the last ended period is not due for a year
    db.session.commit()
    html = " ".join(po.get(f"/contracts/{contract.id}").get_data(as_text=True).split())
    assert "1 reporting period has ended without a reading (1 of 1 metric), the oldest" in html
    assert 'class="flash flash-info backfill"' in html
