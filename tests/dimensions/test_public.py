"""Public pages show a count's latest result by group, leaving out groups below
PUBLIC_MIN_GROUP_COUNT; a rate's groups are not published."""
from datetime import date
from decimal import Decimal

from contracts_app.dimensions import services as dimensions
from contracts_app.metrics import services
from tests.dimensions.test_gap_flags import NOW


def _city(factory, users, is_count=True):
    contract = factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2027, 6, 30), is_public=True,
                                     contract_manager_id=users["contract_manager"].id)
    districts = dimensions.create_dimension(users["admin"], "Council district", "District 1\nDistrict 2\nDistrict 7")
    metric = factory.make_metric(contract, name="Placements", is_count=is_count, baseline_value=Decimal(30),
                                 target_value=Decimal(60))
    dimensions.set_metric_dimensions(metric, users["admin"], [districts.id])
    one, two, seven = [g.id for g in districts.groups]
    services.record_reading(metric, users["contract_manager"], date(2025, 8, 1), "37",
                            groups={one: "18", two: "12", seven: "7"}, now=NOW)
    return contract


def test_small_groups_are_suppressed_on_the_public_page(app, client, factory, users):
    contract = _city(factory, users)
    html = client.get(f"/public/contracts/{contract.id}").get_data(as_text=True)
    assert "Latest result by Council district" in html
    table = html.split("Latest result by Council district")[1].split("</table>")[0]
    assert ">18<" in table and ">12<" in table
    assert "District 7" in table and "Fewer than 10" in table and ">7<" not in table


def test_the_minimum_is_a_setting(app, client, factory, users):
    app.config["PUBLIC_MIN_GROUP_COUNT"] = 15
    contract = _city(factory, users)
    table = client.get(f"/public/contracts/{contract.id}").get_data(as_text=True).split("Latest result by Council district")[1].split("</table>")[0]
    assert ">18<" in table and ">12<" not in table


def test_a_rate_s_groups_are_not_published(app, client, factory, users):
    contract = _city(factory, users, is_count=False)
    assert "Latest result by Council district" not in client.get(f"/public/contracts/{contract.id}").get_data(as_text=True)


def test_the_evidence_page_counts_contracts_managed_with_disaggregated_data(app, client_as, factory, users):
    from contracts_app.portfolio.evidence import contracts_for, evidence_figures
    with_groups = _city(factory, users)
    factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2027, 6, 30))
    figures, _public, _quarters = evidence_figures(date(2025, 9, 20))
    assert (figures["disaggregated"].numerator, figures["disaggregated"].denominator) == (1, 2)
    assert [e.contract.id for e in contracts_for("disaggregated", True, date(2025, 9, 20))] == [with_groups.id]
    html = client_as("cdo").get("/portfolio/evidence").get_data(as_text=True)
    assert "Managed with disaggregated data" in html
