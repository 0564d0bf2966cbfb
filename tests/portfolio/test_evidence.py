"""Certification evidence: each figure against hand-built data, and the lists behind them."""
from datetime import date

import pytest

from contracts_app.db_types import utcnow
from contracts_app.management.models import CheckIn
from contracts_app.portfolio.evidence import contracts_for, evidence_figures, last_full_quarters, vendors_for
from contracts_app.portfolio.models import CloseoutEvaluation
from tests.querycount import count_queries

TODAY = date(2026, 5, 10)  # the last four full quarters: Q2 2025 .. Q1 2026


def _figure(key, today=TODAY):
    figures, _public, _quarters = evidence_figures(today)
    figure = figures[key]
    return figure.numerator, figure.denominator


def _held(db, contract, *days, status="held"):
    for day in days:
        db.session.add(CheckIn(contract_id=contract.id, status=status, scheduled_for=day,
                               held_on=day if status == "held" else None))
    db.session.commit()


def _evaluate(db, contract, **ratings):
    values = dict(quality=4, schedule=4, cost_control=4, management=4)
    values.update(ratings)
    db.session.add(CloseoutEvaluation(contract_id=contract.id, vendor_id=contract.vendor_id, narrative="Delivered.",
                                      evaluated_on=date(2026, 1, 15), **values))
    db.session.commit()


@pytest.mark.parametrize("today, first, last", [
    (date(2026, 5, 10), date(2025, 4, 1), date(2026, 3, 31)),
    (date(2026, 4, 1), date(2025, 4, 1), date(2026, 3, 31)),
    (date(2026, 3, 31), date(2025, 1, 1), date(2025, 12, 31)),
    (date(2026, 1, 1), date(2025, 1, 1), date(2025, 12, 31)),
])
def test_it_takes_the_last_four_full_calendar_quarters(today, first, last):
    quarters = last_full_quarters(today)
    assert len(quarters) == 4
    assert quarters[0][0] == first and quarters[-1][1] == last
    assert all(quarters[k][1].toordinal() + 1 == quarters[k + 1][0].toordinal() for k in range(3))


def test_it_counts_strategic_contracts_with_goals_and_metrics(app, db, factory):
    complete = factory.make_contract()
    factory.make_metric(complete)
    factory.make_contract()  # goals but no metric
    factory.make_metric(factory.make_contract(problem="   "))  # a blank problem statement
    factory.make_metric(factory.make_contract(outcomes=""))
    factory.make_metric(factory.make_contract(status="draft"))  # not strategic
    archived = factory.make_contract()
    factory.make_metric(archived)
    archived.archived_at = utcnow()
    db.session.commit()
    assert _figure("goals_metrics") == (1, 4)


def test_it_counts_results_based_payment_structures(app, factory):
    structures = ("performance_based", "milestone", "pay_for_success", "fixed_price", "cost_reimbursement", "grant")
    for structure in structures:
        factory.make_contract(payment_structure=structure)
    factory.make_contract(payment_structure="pay_for_success", status="completed")
    assert _figure("results_payment") == (3, 6)


def test_it_counts_a_contract_with_a_check_in_held_in_each_of_the_four_quarters(app, db, factory):
    contract = factory.make_contract()
    # The first and last days of the window count; two in one quarter count once.
    _held(db, contract, date(2025, 4, 1), date(2025, 8, 20), date(2025, 9, 1), date(2025, 12, 31), date(2026, 3, 31))
    assert _figure("quarterly_checkins") == (1, 1)


def test_it_does_not_count_check_ins_just_outside_the_window(app, db, factory):
    contract = factory.make_contract()
    _held(db, contract, date(2025, 3, 31), date(2025, 7, 1), date(2025, 10, 1), date(2026, 1, 2), date(2026, 4, 1))
    assert _figure("quarterly_checkins") == (0, 1)


def test_it_does_not_count_check_ins_that_were_not_held(app, db, factory):
    contract = factory.make_contract()
    _held(db, contract, date(2025, 5, 1), date(2025, 8, 1), date(2025, 11, 1))
    _held(db, contract, date(2026, 2, 1), status="scheduled")
    other = factory.make_contract()
    _held(db, other, date(2025, 5, 1), date(2025, 8, 1), date(2025, 11, 1))
    _held(db, other, date(2026, 2, 1), status="cancelled")
    assert _figure("quarterly_checkins") == (0, 2)


def test_it_moves_the_window_with_the_city_s_today(app, db, factory):
    contract = factory.make_contract()
    _held(db, contract, date(2025, 4, 1), date(2025, 8, 20), date(2025, 12, 31), date(2026, 3, 31))
    assert _figure("quarterly_checkins", today=date(2026, 3, 31)) == (0, 1)
    assert _figure("quarterly_checkins", today=date(2026, 4, 1)) == (1, 1)


def test_it_counts_vendors_of_completed_contracts_with_an_evaluation(app, db, factory):
    evaluated = factory.make_contract(status="completed")
    _evaluate(db, evaluated)
    factory.make_contract(status="completed")  # its vendor has no evaluation
    factory.make_contract()  # an active contract's vendor is not counted
    assert _figure("vendor_evaluations") == (1, 2)


def test_it_counts_public_strategic_contracts(app, factory):
    factory.make_contract(is_public=True)
    factory.make_contract(is_public=False)
    factory.make_contract(is_public=True, status="completed")
    _figures, public, _quarters = evidence_figures(TODAY)
    assert (public.numerator, public.denominator) == (1, 2)


def test_it_shows_no_share_when_there_is_nothing_to_count(app):
    figures, public, _quarters = evidence_figures(TODAY)
    assert all(figure.share is None for figure in figures.values()) and public.share is None


def test_it_lists_the_contracts_that_meet_and_miss_the_quarterly_check_ins(app, db, factory):
    met = factory.make_contract(reference="MET-1")
    _held(db, met, date(2025, 5, 1), date(2025, 8, 1), date(2025, 11, 1), date(2026, 2, 1))
    missed = factory.make_contract(reference="MISS-1")
    _held(db, missed, date(2025, 5, 1), date(2025, 8, 1), date(2026, 2, 1))
    assert [row.contract.reference for row in contracts_for("quarterly_checkins", True, TODAY)] == ["MET-1"]
    (row,) = contracts_for("quarterly_checkins", False, TODAY)
    assert (row.contract.reference, row.quarters, row.last_held) == ("MISS-1", 3, date(2026, 2, 1))


def test_it_lists_vendors_with_and_without_evaluations(app, db, factory):
    evaluated = factory.make_contract(status="completed", vendor=factory.make_vendor(name="Evaluated Co"))
    _evaluate(db, evaluated, quality=5, management=3)
    factory.make_contract(status="completed", vendor=factory.make_vendor(name="Unevaluated Co"))
    (row,) = vendors_for(True)
    assert (row.vendor.name, row.completed, row.evaluations, float(row.rating)) == ("Evaluated Co", 1, 1, 4.0)
    assert [row.vendor.name for row in vendors_for(False)] == ["Unevaluated Co"]


def test_it_shows_each_figure_with_numerator_denominator_and_links(app, client_as, factory):
    factory.make_metric(factory.make_contract(payment_structure="milestone"))
    factory.make_contract(payment_structure="grant")
    body = client_as("viewer").get("/portfolio/evidence").get_data(as_text=True)
    assert "1 of 2</strong> strategic contracts with a problem statement" in body
    assert "1 of 2</strong> strategic contracts whose payment structure rewards" in body
    assert "50%" in body
    for criterion in ("goals_metrics", "results_payment", "quarterly_checkins", "open_data", "vendor_evaluations"):
        assert f"/portfolio/evidence/{criterion}?met=yes" in body
        assert f"/portfolio/evidence/{criterion}?met=no" in body


def test_it_says_how_the_open_data_is_published_and_drills_down_to_it(app, client_as, factory):
    public = factory.make_contract(reference="PUB-1", is_public=True)
    private = factory.make_contract(reference="PRIV-1", is_public=False)
    cdo = client_as("cdo")
    body = cdo.get("/portfolio/evidence").get_data(as_text=True)
    assert "RDC7" in body and "OCDS" in body and "not built yet" not in body
    assert "export ocds" in body and "/api/v1/ocds/release-package.json" in body
    assert "<strong>1 of 2</strong> strategic contracts marked public" in body
    published = cdo.get("/portfolio/evidence/open_data?met=yes").get_data(as_text=True)
    unpublished = cdo.get("/portfolio/evidence/open_data?met=no").get_data(as_text=True)
    assert public.reference in published and private.reference not in published
    assert private.reference in unpublished and public.reference not in unpublished


def test_it_has_a_print_layout(app, client_as):
    body = client_as("cdo").get("/portfolio/evidence").get_data(as_text=True)
    assert 'class="card evidence-figure"' in body
    # The print rules live in the stylesheet (the Content-Security-Policy allows no inline <style>).
    stylesheet = app.test_client().get("/static/app.css").get_data(as_text=True)
    assert "@media print {\n  .evidence-figure" in stylesheet


@pytest.mark.parametrize("met, shown, hidden", [("yes", "GOALS-OK", "GOALS-NO"), ("no", "GOALS-NO", "GOALS-OK")])
def test_it_lists_the_contracts_behind_a_figure(app, client_as, factory, met, shown, hidden):
    factory.make_metric(factory.make_contract(reference="GOALS-OK"))
    factory.make_contract(reference="GOALS-NO")
    body = client_as("viewer").get(f"/portfolio/evidence/goals_metrics?met={met}").get_data(as_text=True)
    assert shown in body and hidden not in body


def test_it_lists_the_vendors_behind_the_evaluation_figure(app, client_as, db, factory):
    factory.make_contract(status="completed", vendor=factory.make_vendor(name="<Unevaluated & Co>"))
    body = client_as("viewer").get("/portfolio/evidence/vendor_evaluations?met=no").get_data(as_text=True)
    assert "&lt;Unevaluated &amp; Co&gt;" in body


def test_it_answers_404_for_an_unknown_criterion(app, client_as):
    assert client_as("viewer").get("/portfolio/evidence/nonsense").status_code == 404


@pytest.mark.parametrize("met", ["maybe", "YES", "1", "<script>"])
def test_it_answers_400_for_a_bad_met_value(app, client_as, met):
    assert client_as("viewer").get("/portfolio/evidence/results_payment", query_string={"met": met}).status_code == 400


def test_it_defaults_to_the_contracts_that_meet_a_criterion(app, client_as, factory):
    factory.make_contract(reference="RESULTS-1", payment_structure="pay_for_success")
    body = client_as("viewer").get("/portfolio/evidence/results_payment").get_data(as_text=True)
    assert "RESULTS-1" in body


def _count(client, url):
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


URLS = [
    "/portfolio/evidence",
    "/portfolio/evidence/goals_metrics?met=yes",
    "/portfolio/evidence/quarterly_checkins?met=no",
    "/portfolio/evidence/vendor_evaluations?met=no",
]


def test_it_runs_as_many_queries_for_200_contracts_as_for_10(app, db, build_city, client_as):
    client = client_as("cdo")
    city = build_city(10)
    _evaluate(db, city.contracts[9])
    small = {url: _count(client, url) for url in URLS}
    build_city(190)
    assert {url: _count(client, url) for url in URLS} == small
