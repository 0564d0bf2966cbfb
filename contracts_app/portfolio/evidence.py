"""Certification evidence (read models for ``portfolio.evidence``): how the city stands on the
What Works Cities results-driven contracting criteria, computed from its own data, each figure
linked to the rows behind it.

Strategic contracts are the active, unarchived ones. Every figure is aggregated in SQL; the
page runs a fixed number of queries whatever the size of the portfolio.
"""

from contracts_app.i18n import lazy_gettext as _l
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, distinct, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from contracts_app.contracts.models import COMPETITIVE_METHODS, RESULTS_BASED_PAYMENT, Contract, Vendor
from contracts_app.contracts.queries import first_contract_of_vendor
from contracts_app.decisions import queries as decision_queries
from contracts_app.extensions import db
from contracts_app.management.models import CheckIn
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, Reading
from contracts_app.dimensions.models import ReadingGroupValue
from contracts_app.portfolio.models import CloseoutEvaluation
from contracts_app.priorities.models import contract_priorities
from contracts_app.portfolio.queries import last_held_checkins, strategic_conditions, vendor_ratings_subquery

QUARTERS = 4
# The figures of the RDC8 card (vendor participation and competition).
RDC8_KEYS = ("competitive", "bids_recorded", "first_time_vendors", "diverse_vendors")

CRITERIA = {
    "goals_metrics": {
        "codes": "RDC1 / RDC2",
        "title": _l('Goals and metrics'),
        "subject": _l('strategic contracts'),
        "met": _l('with a problem statement, desired outcomes and at least one performance metric'),
        "not_met": _l('missing a problem statement, desired outcomes or a performance metric'),
    },
    "results_payment": {
        "codes": "RDC4",
        "title": _l('Results-based payment'),
        "subject": _l('strategic contracts'),
        "met": _l('whose payment structure rewards progress toward the goals (performance-based incentives or penalties, milestone payments, pay for success)'),
        "not_met": _l('whose payment structure does not tie payment to results'),
    },
    "quarterly_checkins": {
        "codes": "RDC5 / PA2",
        "title": _l('Quarterly check-ins'),
        "subject": _l('strategic contracts'),
        "met": _l('with a check-in held in each of the last four full calendar quarters'),
        "not_met": _l('without a check-in held in each of the last four full calendar quarters'),
    },
    "disaggregated": {
        "codes": "RDC5",
        "title": _l("Managed with disaggregated data"),
        "subject": _l("strategic contracts"),
        "met": _l("with a metric reported by group (council district, age band...) and values by group recorded"),
        "not_met": _l("without any result recorded by group"),
        "note": _l("Groups are defined once for the city on the Dimensions page; the sweep flags a group that lags "
                   "behind its metric's total."),
    },
    "priorities_metrics": {
        "codes": "PA1",
        "title": _l("Metrics aligned to citywide priorities"),
        "subject": _l("strategic contracts"),
        "met": _l("serving at least one citywide priority and measured by at least one performance metric"),
        "not_met": _l("serving no citywide priority, or without a performance metric"),
    },
    "open_data": {
        "codes": "RDC7 / PA3",
        "title": _l("Open data"),
        "subject": _l("strategic contracts"),
        "met": _l("marked public, and so published as open data"),
        "not_met": _l("not marked public"),
        "note": _l("Published in OCDS 1.1 with the Metrics extension: the command flask export ocds writes the "
                   "release package for the open-data portal, and the API serves it at /api/v1/ocds/release-package.json. "
                   "Public contracts' goals and progress are on the public site (PA3)."),
    },
    # RDC8, vendor participation and competition: one card on the page (RDC8_KEYS).
    "competitive": {
        "codes": "RDC8",
        "title": _l("Competitive procurement"),
        "subject": _l("strategic contracts"),
        "met": _l("procured by an open or selective solicitation"),
        "not_met": _l("procured by a limited solicitation or a direct award, or with no solicitation method recorded"),
    },
    "bids_recorded": {
        "codes": "RDC8",
        "title": _l("Bids received"),
        "subject": _l("strategic contracts"),
        "met": _l("with the number of bids received recorded"),
        "not_met": _l("without the number of bids received recorded"),
    },
    "first_time_vendors": {
        "codes": "RDC8",
        "title": _l("First-time vendors"),
        "subject": _l("strategic contracts"),
        "met": _l("awarded to a vendor new to the city (its first contract in the register)"),
        "not_met": _l("awarded to a vendor that had contracted with the city before"),
    },
    "diverse_vendors": {
        "codes": "RDC8",
        "title": _l("Small, local and diverse vendors"),
        "subject": _l("strategic contracts"),
        "met": _l("awarded to a small, local or diverse business"),
        "not_met": _l("awarded to a vendor that is not recorded as small, local or diverse"),
    },
    "vendor_evaluations": {
        "codes": "RDC3 / RDC6",
        "title": _l("Vendor evaluations"),
        "subject": _l("vendors with a completed contract"),
        "met": _l("with at least one closeout evaluation"),
        "not_met": _l("without a closeout evaluation"),
        "rows": "vendors",
    },
    "renewal_decisions": {
        "codes": "RDC6",
        "title": _l("Renewal decisions informed by performance"),
        "subject": _l("renewal and option decisions (made, or due by today)"),
        "met": _l("made from the decision page with the contract's performance summary in front of the decider"),
        "not_met": _l("not made by their date, or recorded without the performance summary"),
        "rows": "decisions",
    },
}

# Every criterion the packet covers, in the application's order: a CSV for each, listing the
# rows behind the figures whose "codes" name it (a criterion no figure names yet gets a CSV
# that says so). A criterion added to CRITERIA with one of these codes is picked up as it is.
PACKET_CODES = ("RDC1", "RDC2", "RDC3", "RDC4", "RDC5", "RDC6", "RDC7", "RDC8", "PA1", "PA2", "PA3", "LC7")


def codes_of(key):
    """The criterion codes a figure evidences ("RDC5 / PA2" -> ["RDC5", "PA2"])."""
    return [code.strip() for code in CRITERIA[key]["codes"].split("/") if code.strip()]


def rows_kind(key):
    """What the rows behind a figure are: "contracts" (the default), "vendors" or "decisions"."""
    return CRITERIA[key].get("rows", "contracts")


def quarter_start(day):
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def last_full_quarters(today, count=QUARTERS):
    """The ``count`` calendar quarters that ended before ``today``, oldest first, as
    (first day, last day) pairs. The quarter containing ``today`` is never full yet."""
    quarters = []
    start = quarter_start(today)
    for _quarter in range(count):
        end = start - timedelta(days=1)
        start = rules.add_months(start, -3)
        quarters.insert(0, (start, end))
    return quarters


def _strategic():
    return and_(*strategic_conditions())


def _has_goals():
    return and_(func.trim(Contract.problem) != "", func.trim(Contract.outcomes) != "")


def _metric_counts():
    return (
        select(Metric.contract_id.label("contract_id"), func.count(Metric.id).label("metrics"))
        .group_by(Metric.contract_id)
        .subquery("metric_counts")
    )


def _quarter_coverage(quarters):
    """Per contract: how many of ``quarters`` had a held check-in, and the last one held in them.
    The quarter index is a CASE over date ranges computed here, so SQLite and PostgreSQL agree."""
    index = case(
        *[(CheckIn.held_on.between(start, end), position) for position, (start, end) in enumerate(quarters)]
    )
    return (
        select(
            CheckIn.contract_id.label("contract_id"),
            func.count(distinct(index)).label("quarters"),
        )
        .where(
            CheckIn.status == "held",
            CheckIn.held_on.between(quarters[0][0], quarters[-1][1]),
        )
        .group_by(CheckIn.contract_id)
        .subquery("quarter_coverage")
    )


def _serves_a_priority():
    return select(contract_priorities.c.contract_id).where(contract_priorities.c.contract_id == Contract.id).exists()


def _conditions(metric_counts, coverage):
    return {
        "goals_metrics": and_(_has_goals(), func.coalesce(metric_counts.c.metrics, 0) > 0),
        "priorities_metrics": and_(_serves_a_priority(), func.coalesce(metric_counts.c.metrics, 0) > 0),
        "results_payment": Contract.payment_structure.in_(sorted(RESULTS_BASED_PAYMENT)),
        "quarterly_checkins": func.coalesce(coverage.c.quarters, 0) == QUARTERS,
        "disaggregated": _has_group_values(),
        "open_data": Contract.is_public.is_(True),
        "competitive": Contract.procurement_method.in_(COMPETITIVE_METHODS),
        "bids_recorded": Contract.bids_received.is_not(None),
        "first_time_vendors": first_contract_of_vendor(),
        "diverse_vendors": Contract.vendor_id.in_(
            select(Vendor.id).where(or_(Vendor.is_small.is_(True), Vendor.is_local.is_(True), Vendor.is_diverse.is_(True)))
        ),
    }


def _has_group_values():
    """The contract has a reading with values by group (contracts_app.dimensions)."""
    return (
        select(ReadingGroupValue.id)
        .join(Reading, Reading.id == ReadingGroupValue.reading_id)
        .join(Metric, Metric.id == Reading.metric_id)
        .where(Metric.contract_id == Contract.id)
        .exists()
    )


def _ones(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass
class Figure:
    key: str
    numerator: int
    denominator: int
    # bids_recorded only: the average number of bids over the contracts that record it.
    average: object = None

    @property
    def share(self):
        return rules.share(self.numerator, self.denominator)

    @property
    def info(self):
        return CRITERIA[self.key]


def _evaluated_vendor_ids():
    return select(CloseoutEvaluation.vendor_id).distinct()


def _vendors_with_completed_contracts():
    return select(Contract.vendor_id).where(Contract.status == "completed", Contract.archived_at.is_(None)).distinct()


def evidence_figures(today):
    """({criterion: Figure}, the public contracts' Figure (RDC7, also in the dict), the quarters).
    Three queries."""
    quarters = last_full_quarters(today)
    metric_counts, coverage = _metric_counts(), _quarter_coverage(quarters)
    conditions = _conditions(metric_counts, coverage)
    row = db.session.execute(
        select(
            func.count(Contract.id),
            *[_ones(condition) for condition in conditions.values()],
            func.avg(Contract.bids_received),
        )
        .select_from(Contract)
        .outerjoin(metric_counts, metric_counts.c.contract_id == Contract.id)
        .outerjoin(coverage, coverage.c.contract_id == Contract.id)
        .where(_strategic())
    ).one()
    *counts, average_bids = row
    total, *met = (int(value or 0) for value in counts)
    figures = {key: Figure(key, count, total) for key, count in zip(conditions, met)}
    if average_bids is not None:
        figures["bids_recorded"].average = Decimal(str(average_bids)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    vendors, evaluated = db.session.execute(
        select(func.count(Vendor.id), _ones(Vendor.id.in_(_evaluated_vendor_ids()))).where(
            Vendor.id.in_(_vendors_with_completed_contracts())
        )
    ).one()
    figures["vendor_evaluations"] = Figure("vendor_evaluations", int(evaluated or 0), int(vendors or 0))
    figures["renewal_decisions"] = Figure("renewal_decisions", *decision_queries.decision_figure(today))
    # The public share is also the page's count of strategic contracts (its denominator).
    return figures, figures["open_data"], quarters


@dataclass
class ContractEvidence:
    contract: Contract
    has_goals: bool
    metrics: int
    quarters: int
    last_held: object
    first_time: bool = False


def contracts_for(criterion, met, today):
    """The strategic contracts that meet (or do not meet) ``criterion``. One query."""
    quarters = last_full_quarters(today)
    metric_counts, coverage, last_held = _metric_counts(), _quarter_coverage(quarters), last_held_checkins()
    condition = _conditions(metric_counts, coverage)[criterion]
    rows = db.session.execute(
        select(
            Contract,
            case((_has_goals(), 1), else_=0),
            func.coalesce(metric_counts.c.metrics, 0),
            func.coalesce(coverage.c.quarters, 0),
            last_held.c.last_held,
            case((first_contract_of_vendor(), 1), else_=0),
        )
        .join(Contract.vendor)
        .outerjoin(metric_counts, metric_counts.c.contract_id == Contract.id)
        .outerjoin(coverage, coverage.c.contract_id == Contract.id)
        .outerjoin(last_held, last_held.c.contract_id == Contract.id)
        .options(joinedload(Contract.vendor), joinedload(Contract.contract_manager), selectinload(Contract.priorities))
        # Not met: the condition false or unknown (NULL: a method not recorded is not competitive).
        .where(_strategic(), condition if met else ~func.coalesce(condition, False))
        .order_by(Contract.reference)
    ).all()
    return [
        ContractEvidence(contract, bool(goals), int(n_metrics), int(n_quarters), held, bool(first))
        for contract, goals, n_metrics, n_quarters, held, first in rows
    ]


@dataclass
class VendorEvidence:
    vendor: Vendor
    completed: int
    evaluations: int
    rating: object


def vendors_for(met):
    """Vendors with a completed contract that have (or lack) a closeout evaluation. One query."""
    completed = (
        select(Contract.vendor_id.label("vendor_id"), func.count(Contract.id).label("completed"))
        .where(Contract.status == "completed", Contract.archived_at.is_(None))
        .group_by(Contract.vendor_id)
        .subquery("completed")
    )
    evaluations = vendor_ratings_subquery("evaluations")
    query = (
        select(Vendor, completed.c.completed, func.coalesce(evaluations.c.evaluations, 0), evaluations.c.rating)
        .join(completed, completed.c.vendor_id == Vendor.id)
        .outerjoin(evaluations, evaluations.c.vendor_id == Vendor.id)
        .order_by(Vendor.name)
    )
    query = query.where(evaluations.c.vendor_id.is_not(None) if met else evaluations.c.vendor_id.is_(None))
    return [VendorEvidence(vendor, int(n), int(e), rating) for vendor, n, e, rating in db.session.execute(query)]


def rows_for(criterion, met, today):
    """(contracts, vendors, decisions) behind one figure: the strategic contracts that meet (or
    do not meet) ``criterion``, or the vendors, or the decision tasks; the others are None."""
    kind = rows_kind(criterion)
    if kind == "vendors":
        return None, vendors_for(met), None
    if kind == "decisions":
        return None, None, decision_queries.decision_rows(met, today)
    return contracts_for(criterion, met, today), None, None


def rdc_lead():
    """The designated results-driven contracting lead (LC7), from RDC_LEAD ("Name, Title"):
    (name, title), or None when the setting is empty."""
    from flask import current_app

    text = (current_app.config.get("RDC_LEAD") or "").strip()
    if not text:
        return None
    name, _, title = text.partition(",")
    return name.strip(), title.strip()
