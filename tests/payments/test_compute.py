"""The pure payment computation: every rule, its boundaries, rounding and combinations, and
the worked examples of ../shared/SCENARIOS.md ("Worked payment examples")."""
from datetime import date
from decimal import Decimal as D

import pytest

from contracts_app.payments.compute import (
    BillingPeriod, Grace, History, ImprovementCredit, Incentive, LinkedMetric, MilestonePayment, MilestoneState,
    OutcomePayment, PaymentMetric, Penalty, PeriodData, RuleError, Terms, Tier, Withhold, compute_statement,
)

USD = Terms("USD", D("100000"))


def quarter(number, year=2026):
    start = date(year, 3 * (number - 1) % 12 + 1, 1)
    end = date(year, 3 * number, 30 if 3 * number in (6, 9) else 31)
    return BillingPeriod(start=start, end=end, number=number, label=f"Q{number} {year}")


# --- Example A: withhold with weights, grace and improvement credit ---------------------

M1 = PaymentMetric(id=1, name="Participants placed in jobs", direction="increase")
M2 = PaymentMetric(id=2, name="Still employed after 6 months (percent)", direction="increase")
EXAMPLE_A_RULES = (
    Withhold(key="withhold", percent=D(10), metrics=(LinkedMetric(1, D(60)), LinkedMetric(2, D(40)))),
    Grace(key="grace", periods=1),
    ImprovementCredit(key="improvement", release_pct=D(50), min_points=D(10)),
)
EXAMPLE_A = [  # (quarter, M1, M2, paid)
    (1, D(30), D(60), D("100000.00")),
    (2, D(40), D(58), D("96000.00")),
    (3, D(36), D(64), D("90000.00")),
    (4, D(45), None, D("96000.00")),
]


def example_a_statements():
    previous = {}
    statements = []
    for number, m1, m2, _paid in EXAMPLE_A:
        data = PeriodData(metrics={1: M1, 2: M2}, values={1: m1, 2: m2}, targets={1: D(40), 2: D(65)},
                          previous_attainment=dict(previous))
        statements.append(compute_statement(USD, EXAMPLE_A_RULES, quarter(number), data))
        previous = {1: m1 / 40 * 100 if m1 is not None else None, 2: m2 / 65 * 100 if m2 is not None else None}
    return statements


def test_example_a_pays_what_the_worked_example_says():
    statements = example_a_statements()
    assert [statement.total for statement in statements] == [paid for *_, paid in EXAMPLE_A]
    q1, q2, q3, q4 = statements
    assert "within the grace period" in q1.lines[1].reason and q1.amount("withheld") == 0
    assert [line.amount for line in q2.lines[1:]] == [D("0.00"), D("-4000.00")]
    assert "Participants placed in jobs 40 against a target of 40 (100%): on track" in q2.lines[1].reason
    assert "89.23%" in q2.lines[2].reason and "fell from 92.31%" in q2.lines[2].reason
    assert [line.amount for line in q3.lines[1:]] == [D("-6000.00"), D("-4000.00")]
    assert "fell from 100%" in q3.lines[1].reason
    assert "up 9.23 points, less than the 10 points" in q3.lines[2].reason
    assert [line.amount for line in q4.lines[1:]] == [D("0.00"), D("-4000.00")]
    assert "no reading for Q4 2026" in q4.lines[2].reason and "stays withheld" in q4.lines[2].reason


def test_improvement_credit_releases_its_share_at_the_threshold_and_not_below():
    def m2_withheld(previous_attainment):
        data = PeriodData(metrics={1: M1, 2: M2}, values={1: D(40), 2: D(52)}, targets={1: D(40), 2: D(65)},
                          previous_attainment={2: previous_attainment})
        return compute_statement(USD, EXAMPLE_A_RULES, quarter(2), data).lines[2]

    # 52 of 65 is 80%: off track. From 70% that is +10 points exactly: half the $4,000 released.
    credited = m2_withheld(D(70))
    assert credited.amount == D("-2000.00")
    assert "improvement credit of 50% released; $2,000 stays withheld" in credited.reason
    assert m2_withheld(D("70.01")).amount == D("-4000.00")
    # With no earlier period to compare, there is no credit.
    first = m2_withheld(None)
    assert first.amount == D("-4000.00") and "no earlier period" in first.reason


def test_at_risk_release_and_improvement_credit_take_the_larger_not_both():
    rules = (
        Withhold(key="w", percent=D(10), metrics=(LinkedMetric(1),), at_risk_release_pct=D(25)),
        ImprovementCredit(key="i", release_pct=D(50), min_points=D(5)),
    )
    data = PeriodData(metrics={1: M1}, values={1: D(37)}, targets={1: D(40)}, previous_attainment={1: D(80)})
    line = compute_statement(USD, rules, quarter(2), data).lines[1]
    assert line.amount == D("-5000.00")  # 92.5% is at risk (25%) and up 12.5 points (50%): 50%
    data = PeriodData(metrics={1: M1}, values={1: D(37)}, targets={1: D(40)}, previous_attainment={1: D(90)})
    line = compute_statement(USD, rules, quarter(2), data).lines[1]
    assert line.amount == D("-7500.00")  # only at risk: a quarter of the $10,000 released
    assert "25% of it released for at risk" in line.reason


def test_equal_shares_add_up_exactly_when_they_do_not_divide():
    metrics = {i: PaymentMetric(id=i, name=f"M{i}", direction="increase") for i in (1, 2, 3)}
    rules = (Withhold(key="w", percent=D(10), metrics=tuple(LinkedMetric(i) for i in metrics)),)
    data = PeriodData(metrics=metrics, values={1: None, 2: None, 3: None}, targets={})
    statement = compute_statement(Terms("USD", D("1000.00")), rules, quarter(2), data)
    assert [line.amount for line in statement.lines[1:]] == [D("-33.33"), D("-33.33"), D("-33.34")]
    assert statement.total == D("900.00")


def test_a_rule_may_release_a_missing_readings_share():
    rules = (Withhold(key="w", percent=D(10), metrics=(LinkedMetric(1),), missing_releases=True),)
    data = PeriodData(metrics={1: M1}, values={1: None}, targets={1: D(40)})
    statement = compute_statement(USD, rules, quarter(2), data)
    assert statement.total == D("100000.00") and "no reading" in statement.lines[1].reason


def test_the_reason_reads_like_the_issue_example():
    placements = PaymentMetric(id=1, name="Placements", direction="increase")
    rules = (Withhold(key="w", percent=D(5), metrics=(LinkedMetric(1),)),)
    data = PeriodData(metrics={1: placements}, values={1: D(27)}, targets={1: D(30)})
    statement = compute_statement(Terms("USD", D(120000)), rules, quarter(2), data)
    assert statement.lines[1].reason.startswith("Placements 27 against a target of 30 (90%): at risk")
    assert statement.lines[1].amount == D("-6000.00")


# --- Example B: outcome payment ---------------------------------------------------------

HOUSED = PaymentMetric(id=7, name="People still housed after 12 months", direction="increase")
OUTCOME_RULE = OutcomePayment(key="outcome", metric_id=7, price_per_unit=D(2500), floor=D(100), cap_total=D(500000))


def test_example_b_pays_per_outcome_above_the_floor_capped_at_the_maximum():
    paid = D(0)
    results = []
    for year, housed in ((1, D(180)), (2, D(95)), (3, D(320))):
        period = BillingPeriod(date(2024 + year, 1, 1), date(2024 + year, 12, 31), year, f"Year {year}")
        data = PeriodData(metrics={7: HOUSED}, values={7: housed})
        statement = compute_statement(Terms("USD", D(0)), (OUTCOME_RULE,), period, data, History(outcomes={"outcome": paid}))
        results.append(statement)
        paid += statement.amount("outcome")
    assert [statement.total for statement in results] == [D("200000.00"), D("0.00"), D("300000.00")]
    assert "below the minimum of 100" in results[1].lines[1].reason
    assert "220 above the floor of 100 × $2,500 = $550,000, capped to the $300,000 left" in results[2].lines[1].reason


def test_an_outcome_at_the_minimum_is_paid_and_a_separate_minimum_applies():
    data = PeriodData(metrics={7: HOUSED}, values={7: D(100)})
    period = BillingPeriod(date(2025, 1, 1), date(2025, 12, 31), 1, "Year 1")
    assert compute_statement(Terms("USD", D(0)), (OUTCOME_RULE,), period, data).total == D("0.00")
    rule = OutcomePayment(key="o", metric_id=7, price_per_unit=D(10), floor=D(50), minimum=D(80))
    for housed, expected in ((D(79), D("0.00")), (D(80), D("300.00"))):
        data = PeriodData(metrics={7: HOUSED}, values={7: housed})
        assert compute_statement(Terms("USD", D(0)), (rule,), period, data).total == expected


# --- Example C: penalty tiers with caps -------------------------------------------------

CLEAN = PaymentMetric(id=3, name="Blocks rated clean (percent)", direction="increase")
PENALTY_RULE = Penalty(key="penalty", metric_id=3, tiers=(Tier(D(95), amount=D(5000)), Tier(D(85), amount=D(15000))),
                       cap_per_period=D(15000), cap_per_contract=D(40000))


def test_example_c_deducts_by_tier_until_the_contract_cap():
    deducted = D(0)
    penalties = []
    for number, clean in enumerate((D("86.4"), D("79.2"), D(72), D(63), D(54)), start=1):
        data = PeriodData(metrics={3: CLEAN}, values={3: clean}, targets={3: D(90)})
        statement = compute_statement(Terms("USD", D(200000)), (PENALTY_RULE,), quarter((number - 1) % 4 + 1),
                                      data, History(penalties={"penalty": deducted}))
        penalties.append(-statement.amount("penalty"))
        deducted += -statement.amount("penalty")
    assert penalties == [D(0), D(5000), D(15000), D(15000), D(5000)]
    assert deducted == D(40000)


def test_penalty_boundaries_and_a_percentage_tier():
    rule = Penalty(key="p", metric_id=3, tiers=(Tier(D(95), percent=D("2.5")),))
    for clean, expected in ((D("85.5"), D("0.00")), (D("85.49"), D("-5000.00"))):  # 95% of 90 is 85.5
        data = PeriodData(metrics={3: CLEAN}, values={3: clean}, targets={3: D(90)})
        assert compute_statement(Terms("USD", D(200000)), (rule,), quarter(2), data).amount("penalty") == expected


def test_a_missing_reading_takes_the_deepest_tier_only_when_the_rule_says_so():
    data = PeriodData(metrics={3: CLEAN}, values={3: None}, targets={3: D(90)})
    assert compute_statement(Terms("USD", D(200000)), (PENALTY_RULE,), quarter(2), data).amount("penalty") == 0
    strict = Penalty(key="p", metric_id=3, tiers=PENALTY_RULE.tiers, missing_penalised=True)
    statement = compute_statement(Terms("USD", D(200000)), (strict,), quarter(2), data)
    assert statement.amount("penalty") == D("-15000.00") and "deepest tier" in statement.lines[1].reason


def test_grace_exempts_penalties_but_not_incentives():
    bonus = Incentive(key="bonus", metric_id=3, tiers=(Tier(D(100), amount=D(1000)),))
    rules = (PENALTY_RULE, bonus, Grace(key="g", periods=2))
    data = PeriodData(metrics={3: CLEAN}, values={3: D(50)}, targets={3: D(90)})
    assert compute_statement(Terms("USD", D(200000)), rules, quarter(2), data).total == D("200000.00")
    assert compute_statement(Terms("USD", D(200000)), rules, quarter(3), data).total == D("185000.00")
    data = PeriodData(metrics={3: CLEAN}, values={3: D(95)}, targets={3: D(90)})
    assert compute_statement(Terms("USD", D(200000)), rules, quarter(1), data).total == D("201000.00")


# --- Incentives, milestones, effective dates, rounding ------------------------------------

def test_incentive_takes_the_highest_tier_reached_and_its_cap():
    rule = Incentive(key="bonus", metric_id=1, tiers=(Tier(D(100), amount=D(1000)), Tier(D(110), percent=D(2))),
                     cap_per_contract=D(2500))
    def bonus(value, earlier=D(0)):
        data = PeriodData(metrics={1: M1}, values={1: value}, targets={1: D(40)})
        return compute_statement(USD, (rule,), quarter(2), data, History(incentives={"bonus": earlier})).amount("incentive")
    assert bonus(D("39.99")) == 0
    assert bonus(D(40)) == D("1000.00")
    assert bonus(D(44)) == D("2000.00")
    assert bonus(D(44), earlier=D(1500)) == D("1000.00")
    assert bonus(None) == 0


def test_milestone_payment_when_met_in_the_period_and_the_rest_after_a_partial_one():
    rule = MilestonePayment(key="m", milestone_id=9, amount=D("25000"), partial_share_pct=D(40))
    def paid(status, completed_on, earlier=D(0)):
        data = PeriodData(metrics={}, milestones={9: MilestoneState(9, "Shelter opens", status, completed_on)})
        statement = compute_statement(Terms("USD", D(0)), (rule,), quarter(2), data, History(milestones={9: earlier}))
        return statement.amount("milestone")
    assert paid("met", date(2026, 5, 3)) == D("25000.00")
    assert paid("partially_met", date(2026, 6, 30)) == D("10000.00")
    assert paid("met", date(2026, 6, 30), earlier=D(10000)) == D("15000.00")
    assert paid("met", date(2026, 3, 31)) == 0  # met in the period before
    assert paid("not_met", date(2026, 5, 3)) == 0
    assert paid("scheduled", None) == 0


def test_rules_apply_from_their_effective_date_forward():
    old = Withhold(key="old", percent=D(12), metrics=(LinkedMetric(1),), effective_to=date(2026, 6, 30))
    new = Withhold(key="new", percent=D(8), metrics=(LinkedMetric(1),), effective_from=date(2026, 7, 1))
    data = PeriodData(metrics={1: M1}, values={1: D(10)}, targets={1: D(40)})
    assert compute_statement(USD, (old, new), quarter(2), data).total == D("88000.00")
    assert compute_statement(USD, (old, new), quarter(3), data).total == D("92000.00")


def test_each_line_is_rounded_half_up_to_the_currency_minor_unit_once():
    rules = (Withhold(key="w", percent=D("0.5"), metrics=(LinkedMetric(1),)),)
    data = PeriodData(metrics={1: M1}, values={1: D(1)}, targets={1: D(40)})
    statement = compute_statement(Terms("USD", D("100.01")), rules, quarter(2), data)
    assert [line.amount for line in statement.lines] == [D("100.01"), D("-0.50")]  # 0.50005 -> 0.50
    statement = compute_statement(Terms("USD", D("100.10")), rules, quarter(2), data)
    assert statement.lines[1].amount == D("-0.50")  # 0.5005 -> 0.50
    statement = compute_statement(Terms("USD", D("101")), rules, quarter(2), data)
    assert statement.lines[1].amount == D("-0.51")  # 0.505 -> 0.51: half up, not to even
    yen = compute_statement(Terms("JPY", D("1001")), rules, quarter(2), data)
    assert [line.amount for line in yen.lines] == [D(1001), D(-5)] and yen.lines[1].reason.endswith("stays withheld")


def test_a_decrease_metric_and_a_range_metric_judge_as_the_contract_pages_do():
    days = PaymentMetric(id=4, name="Median days to placement", direction="decrease")
    rules = (Withhold(key="w", percent=D(10), metrics=(LinkedMetric(4),)),)
    for value, withheld in ((D(60), D("0.00")), (D(66), D("-10000.00"))):
        data = PeriodData(metrics={4: days}, values={4: value}, targets={4: D(60)})
        assert compute_statement(USD, rules, quarter(2), data).amount("withheld") == withheld
    band = PaymentMetric(id=5, name="Occupancy (percent)", direction="range", range_low=D(85), range_high=D(95))
    rules = (Withhold(key="w", percent=D(10), metrics=(LinkedMetric(5),)),)
    data = PeriodData(metrics={5: band}, values={5: D(90)}, targets={})
    statement = compute_statement(USD, rules, quarter(2), data)
    assert statement.total == D("100000.00") and "a range of 85 to 95" in statement.lines[1].reason


@pytest.mark.parametrize("rules, message", [
    ((Withhold(key="w", percent=D(10), metrics=(LinkedMetric(1, D(60)), LinkedMetric(2, D(30)))),), "add up to 90%"),
    ((Withhold(key="w", percent=D(10), metrics=(LinkedMetric(1, D(60)), LinkedMetric(2))),), "or none of them"),
    ((Withhold(key="w", percent=D(110), metrics=(LinkedMetric(1),)),), "from 0 to 100"),
    ((Withhold(key="w", percent=D(10), metrics=()),), "at least one"),
    ((Withhold(key="w", percent=D(10), metrics=(LinkedMetric(99),)),), "not on the contract"),
    ((Withhold(key="w", percent=D(10), metrics=(LinkedMetric(1), LinkedMetric(1))),), "linked twice"),
    ((Penalty(key="p", metric_id=1, tiers=()),), "at least one tier"),
    ((Penalty(key="p", metric_id=1, tiers=(Tier(D(90)),)),), "an amount or a percentage"),
    ((Penalty(key="p", metric_id=1, tiers=(Tier(D(90), amount=D(1)), Tier(D(90), amount=D(2)))),), "same threshold"),
    ((Incentive(key="i", metric_id=1, tiers=(Tier(D(90), amount=D(-1)),)),), "cannot be negative"),
    ((OutcomePayment(key="o", metric_id=1, price_per_unit=D(-1)),), "cannot be negative"),
    ((ImprovementCredit(key="i", release_pct=D(50), min_points=D(0)),), "more than 0 points"),
    ((Grace(key="g", periods=1), Grace(key="g", periods=2)), "its own key"),
    ((Grace(key="g", periods=1, effective_from=date(2026, 2, 1), effective_to=date(2026, 1, 1)),), "ends before"),
])
def test_rules_that_cannot_apply_are_refused_with_a_reason(rules, message):
    data = PeriodData(metrics={1: M1, 2: M2}, values={}, targets={})
    with pytest.raises(RuleError, match=message):
        compute_statement(USD, rules, quarter(2), data)
