"""Checking a file: every error by row and column, or what the import will create."""
from datetime import date
from decimal import Decimal

import pytest

from contracts_app.imports.columns import NAMES, column_letter
from contracts_app.imports.plan import build_plan
from tests.imports.conftest import contract_only, example, to_csv
from tests.querycount import count_queries


def _where(plan):
    return {(error.row, error.column) for error in plan.errors}


def _message(plan, row, column):
    return next(error.message for error in plan.errors if (error.row, error.column) == (row, column))


def test_it_lists_every_error_by_row_and_column(import_city, factory, users):
    factory.make_contract(reference="TR-2020-001")
    first = example(0, reference="A-1")
    rows = [
        first,                                                                           # 2: fine
        example(1, reference="A-1", title="Another title"),                              # 3
        example(0, reference="A-1", title="", vendor=""),                                # 4: same metric again
        contract_only(reference="B-1", start_date="2026-02-01", end_date="2026-01-01", value="12,5x",
                      priorities="Reduce unsheltered homelessness 25% by 2027; Nope",
                      contract_manager=users["viewer"].email, payment_structure="barter", public="maybe"),  # 5
        contract_only(reference="tr-2020-001"),                                          # 6: exists
        contract_only(reference="", title="No reference"),                               # 7
        example(0, reference="C-1", start_date="7/1/2025", metric_target_value="10", metric_cadence="fortnightly"),  # 8
        example(0, reference="D-1", metric_direction="range", metric_target_value="", metric_range_low="5",
                metric_range_high="3"),                                                  # 9
        example(0, reference="E-1", metric_period_targets="2026-01-15=3", metric_payment_linked="sometimes",
                metric_unit=""),                                                         # 10
        contract_only(reference="=HYPERLINK(\"http://x\")"),                             # 11
        ["F-1", *[first[name] for name in NAMES[1:-1]], "", "stray"],                     # 12: a cell past the header
        example(1, reference="a-1", metric_name="Third"),                                # 13: spelt otherwise
    ]

    plan = build_plan(to_csv(rows), users["procurement_officer"])

    assert not plan.ok and plan.contracts == []
    assert _where(plan) == {
        (3, "title"), (4, "metric_name"),
        (5, "value"), (5, "end_date"), (5, "payment_structure"), (5, "priorities"), (5, "contract_manager"),
        (5, "public"),
        (6, "reference"), (7, "reference"),
        (8, "start_date"), (8, "metric_target_value"), (8, "metric_cadence"),
        (9, "metric_range_high"), (9, "metric_period_targets"),
        (10, "metric_unit"), (10, "metric_payment_linked"), (10, "metric_period_targets"),
        (11, "reference"),
        (12, f"column {column_letter(len(NAMES))}"), (13, "reference"),
    }
    assert [(e.row, e.column) for e in plan.errors] == sorted(
        [(e.row, e.column) for e in plan.errors], key=lambda rc: (rc[0], NAMES.index(rc[1]) if rc[1] in NAMES else 99)
    )
    # The messages say what to do, in the forms' and services' words where they have them.
    assert "Differs from row 2" in _message(plan, 3, "title")
    assert "already has a metric named Placements into shelter or housing in row 2" in _message(plan, 4, "metric_name")
    assert _message(plan, 5, "end_date") == "The end date must be on or after the start date."
    assert "No priority is named Nope" in _message(plan, 5, "priorities")
    assert "is a viewer, not a contract manager" in _message(plan, 5, "contract_manager")
    assert "performance_based" in _message(plan, 5, "payment_structure")
    assert _message(plan, 6, "reference") == "Reference tr-2020-001 is already used by another contract."
    assert _message(plan, 8, "start_date") == "Enter a date as YYYY-MM-DD, for example 2025-07-01."
    assert _message(plan, 8, "metric_target_value") == "For an increase the final target must be above the baseline (18)."
    assert "per-period targets are not used" in _message(plan, 9, "metric_period_targets")
    assert "2026-01-15 does not start a reporting period" in _message(plan, 10, "metric_period_targets")
    assert "no name in the header row" in _message(plan, 12, f"column {column_letter(len(NAMES))}")


@pytest.mark.parametrize("text, row, column, fragment", [
    (to_csv([example()], columns=[n for n in NAMES if n != "end_date"]), 1, "end_date", "required column end_date is missing"),
    (to_csv([example()], columns=[*NAMES, "metric_taget"]), 1, "metric_taget", "Did you mean metric_target"),
    (to_csv([example()], columns=[*NAMES, "Title"]), 1, "Title", "appears twice"),
    (to_csv([]), None, None, "no rows to import"),
    (to_csv([{}, {}]), None, None, "no rows to import"),
    ("reference\ttitle\tvendor\r\nA\tB\tC\r\n", 1, None, "separated by tabs"),
    ("\r\n" + to_csv([example()]), 1, None, "The first row must be the header row"),
])
def test_it_reports_a_header_it_cannot_use(app, text, row, column, fragment):
    plan = build_plan(text, None)

    assert not plan.ok
    assert (plan.errors[0].row, plan.errors[0].column) == (row, column)
    assert fragment in plan.errors[0].message


def test_it_names_columns_as_the_header_writes_them(import_city, users):
    header = [name.replace("_", " ").title() for name in NAMES]  # "Start Date", as people write headers
    plan = build_plan(to_csv([list(example(0, end_date="2020-01-01").values())], columns=header),
                      users["procurement_officer"])

    assert [(e.row, e.column, e.message) for e in plan.errors] == [
        (2, "End Date", "The end date must be on or after the start date.")]


def test_it_plans_contracts_metrics_and_new_vendors(import_city, factory, users):
    existing = factory.make_vendor(name="Existing Vendor")
    officer = users["procurement_officer"]
    rows = [
        example(0),
        # Later rows of a contract may leave the contract columns blank.
        {"reference": "HS-2026-001", **{k: v for k, v in example(1).items() if k.startswith("metric_")}},
        contract_only(reference="HS-2026-002", vendor=" harbor LIGHT services ", kind="Grant", status="",
                      currency="", public="", contract_manager="", payment_structure="Pay for success",
                      value="$1,200,000.50", title="=1+2"),
        contract_only(reference="HS-2026-003", vendor="EXISTING VENDOR", public="no", currency="eur"),
        *[example(0, reference="HS-2026-004", metric_name=f"Key metric {n}") for n in range(6)],
    ]

    plan = build_plan(to_csv(rows, delimiter=";"), officer)

    assert plan.ok, plan.errors
    assert [c.reference for c in plan.contracts] == ["HS-2026-001", "HS-2026-002", "HS-2026-003", "HS-2026-004"]
    assert plan.metrics_count == 8
    # More metrics than the practice suggests: advice, as on the metric form, not an error.
    assert plan.warnings == ["Contract HS-2026-004 will have 6 metrics. The practice is three to five key metrics: "
                             "consider whether every one of them is key."]
    assert plan.new_vendors == ["Harbor Light Services"]
    first, second, third, _ = plan.contracts
    assert [m.row for m in first.metrics] == [2, 3]
    assert first.metrics[0].targets == {date(2026, 1, 1): Decimal(18), date(2026, 2, 1): Decimal(19)}
    assert first.metrics[1].values["direction"] == "decrease" and first.metrics[1].values["indicator_type"] == "leading"
    assert first.data["contract_manager_id"] is not None
    assert first.data["priority_ids"] and len(first.priority_names) == 2
    assert second.data | {} == second.data  # a plain dict, as create_contract takes
    assert (second.data["kind"], second.data["status"], second.data["currency"], second.data["is_public"]) == (
        "grant", "active", "USD", True)
    assert second.data["payment_structure"] == "pay_for_success"
    assert second.data["value"] == Decimal("1200000.50")
    assert second.data["title"] == "=1+2"  # just text
    assert second.data["procurement_officer_id"] == officer.id  # the person importing
    assert second.data["contract_manager_id"] is None and second.metrics == []
    assert second.vendor_is_new and second.data["new_vendor_name"] == "harbor LIGHT services"
    assert (third.vendor_is_new, third.data["vendor_id"]) == (False, existing.id)
    assert (third.data["is_public"], third.data["currency"]) == (False, "EUR")


def test_it_checks_a_file_with_a_fixed_number_of_queries(import_city, users):
    def queries(count):
        rows = [example(0, reference=f"Q-{n}") for n in range(count)]
        with count_queries() as counter:
            plan = build_plan(to_csv(rows), users["procurement_officer"])
        assert plan.ok, plan.errors[:3]
        return counter.count

    assert queries(2) == queries(40)


@pytest.mark.parametrize(
    "changes, column, message",
    [
        ({"currency": "XYZ"}, "currency", "XYZ is not an ISO 4217 currency code"),
        ({"end_date": "9999-12-31"}, "end_date", "Use an end date before 2200."),
    ],
)
def test_it_applies_the_contract_services_value_rules_before_writing(import_city, changes, column, message):
    plan = build_plan(to_csv([contract_only(**changes)]), import_city["procurement_officer"])
    assert not plan.ok
    assert _message(plan, 2, column).startswith(message)


def test_it_reads_the_award_and_signature_dates(import_city, users):
    rows = [
        contract_only(reference="AW-1", awarded_on="2025-05-20", signed_on="2025-06-02"),
        contract_only(reference="AW-2"),
    ]
    plan = build_plan(to_csv(rows), users["procurement_officer"])
    assert plan.ok, plan.errors
    dated, undated = plan.contracts
    assert (dated.data["awarded_on"], dated.data["signed_on"]) == (date(2025, 5, 20), date(2025, 6, 2))
    assert (undated.data["awarded_on"], undated.data["signed_on"]) == (None, None)


def test_it_refuses_bad_award_and_signature_dates(import_city, users):
    rows = [
        contract_only(reference="AW-1", awarded_on="2025-06-02", signed_on="2025-05-20"),
        contract_only(reference="AW-2", awarded_on="20/05/2025"),
        contract_only(reference="AW-3", signed_on="2100-01-01"),
    ]
    plan = build_plan(to_csv(rows), users["procurement_officer"])
    assert not plan.ok and plan.contracts == []
    assert _where(plan) == {(2, "signed_on"), (3, "awarded_on"), (4, "signed_on")}
    assert _message(plan, 2, "signed_on") == "The contract cannot be signed before it was awarded."
    assert "cannot be in the future" in _message(plan, 4, "signed_on")
