"""The decision page's performance summary (read model), and the token of what it showed.

Everything the city should have in front of it when it renews, rebids, changes the scope of or
lets a contract end: each metric's record against target, the flags and how they ended, the
check-ins held, the payment adjustments, the contract's closeout evaluation and the vendor's
other contracts with their health.

A fixed number of queries whatever the number of metrics, periods, flags or contracts: each
section is one grouped statement.

``summary_token(summary)`` is a SHA-256 of the summary's figures (JSON, keys sorted). The page
posts it back with the decision; the service recomputes the summary and compares, so a decision
marked "made with the summary" was made from a page that showed exactly these figures.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from contracts_app.contracts.models import Contract
from contracts_app.extensions import db
from contracts_app.management.models import FLAG_KINDS, CheckIn, Flag, checkin_flags
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, Reading
from contracts_app.metrics.status import today_for
from contracts_app.portfolio.models import RATING_FIELDS, CloseoutEvaluation

RECENT_FLAGS = 8


@dataclass
class MetricRecord:
    id: int
    name: str
    unit: str
    periods: int
    on_track: int
    at_risk: int
    off_track: int
    latest_period: str | None
    latest_value: str | None
    latest_status: str | None
    status: str

    @property
    def on_track_share(self):
        return rules.share(self.on_track, self.periods)


@dataclass
class FlagOutcomes:
    kind: str
    open: int = 0
    cleared: int = 0  # resolved by the sweep when the cause cleared
    by_hand: int = 0
    discussed: int = 0  # discussed at a held check-in

    @property
    def label(self):
        return FLAG_KINDS.get(self.kind, self.kind)

    @property
    def total(self):
        return self.open + self.cleared + self.by_hand


@dataclass
class FlagLine:
    id: int
    kind: str
    summary: str
    opened_on: date
    resolved_on: date | None
    by_hand: bool
    note: str

    @property
    def label(self):
        return FLAG_KINDS.get(self.kind, self.kind)


@dataclass
class OtherContract:
    id: int
    reference: str
    title: str
    status: str
    health: str
    end_date: date
    evaluation: float | None  # the closeout evaluation's average rating (1-5), if any


@dataclass
class Summary:
    contract_id: int
    metrics: list = field(default_factory=list)
    flags: list = field(default_factory=list)  # FlagOutcomes by kind
    recent_flags: list = field(default_factory=list)
    flags_total: int = 0
    checkins_held: int = 0
    first_checkin: date | None = None
    last_checkin: date | None = None
    payment_adjustments: list | None = None
    evaluation: dict | None = None
    other_contracts: list = field(default_factory=list)

    def figures(self):
        """The plain figures shown (what the token covers and the decision keeps)."""
        return asdict(self)

    @property
    def token(self):
        return summary_token(self)

    @classmethod
    def from_figures(cls, figures):
        """The summary a decision kept (``plain_figures``), rebuilt to be shown as it was."""
        def day(value):
            return date.fromisoformat(value) if value else None

        evaluation = figures.get("evaluation")
        if evaluation:
            evaluation = dict(evaluation, evaluated_on=day(evaluation.get("evaluated_on")))
        return cls(
            contract_id=figures["contract_id"],
            metrics=[MetricRecord(**m) for m in figures.get("metrics", [])],
            flags=[FlagOutcomes(**f) for f in figures.get("flags", [])],
            recent_flags=[FlagLine(**dict(f, opened_on=day(f["opened_on"]), resolved_on=day(f["resolved_on"])))
                          for f in figures.get("recent_flags", [])],
            flags_total=figures.get("flags_total", 0),
            checkins_held=figures.get("checkins_held", 0),
            first_checkin=day(figures.get("first_checkin")),
            last_checkin=day(figures.get("last_checkin")),
            payment_adjustments=figures.get("payment_adjustments"),
            evaluation=evaluation,
            other_contracts=[OtherContract(**dict(c, end_date=day(c["end_date"]))) for c in figures.get("other_contracts", [])],
        )

    @property
    def periods(self):
        return sum(m.periods for m in self.metrics)

    @property
    def periods_on_track(self):
        return sum(m.on_track for m in self.metrics)

    @property
    def on_track_share(self):
        return rules.share(self.periods_on_track, self.periods)


def plain_figures(summary):
    """The summary's figures as JSON-safe values (dates and decimals as text)."""
    return json.loads(json.dumps(summary.figures(), sort_keys=True, default=str))


def summary_token(summary):
    text = json.dumps(summary.figures(), sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _text(value):
    return None if value is None else str(value)


def metric_records(contract_id):
    """Each metric's record: periods with a reading, how many on track / at risk / off track,
    and the latest reading. One statement."""
    counts = (
        select(
            Reading.metric_id.label("metric_id"),
            func.count(Reading.id).label("periods"),
            func.sum(case((Reading.status == rules.ON_TRACK, 1), else_=0)).label("on_track"),
            func.sum(case((Reading.status == rules.AT_RISK, 1), else_=0)).label("at_risk"),
            func.sum(case((Reading.status == rules.OFF_TRACK, 1), else_=0)).label("off_track"),
            func.max(Reading.period_start).label("latest_start"),
        )
        .join(Metric, Metric.id == Reading.metric_id)
        .where(Metric.contract_id == contract_id)
        .group_by(Reading.metric_id)
        .subquery("counts")
    )
    latest = aliased(Reading)
    rows = db.session.execute(
        select(
            Metric.id, Metric.name, Metric.unit, Metric.cadence, Metric.status,
            func.coalesce(counts.c.periods, 0), func.coalesce(counts.c.on_track, 0),
            func.coalesce(counts.c.at_risk, 0), func.coalesce(counts.c.off_track, 0),
            latest.period_start, latest.value, latest.status,
        )
        .outerjoin(counts, counts.c.metric_id == Metric.id)
        .outerjoin(latest, and_(latest.metric_id == Metric.id, latest.period_start == counts.c.latest_start))
        .where(Metric.contract_id == contract_id)
        .order_by(Metric.position, Metric.id)
    ).all()
    return [
        MetricRecord(
            id=row[0], name=row[1], unit=row[2], periods=int(row[5]), on_track=int(row[6]), at_risk=int(row[7]),
            off_track=int(row[8]),
            latest_period=rules.period_label(row[9], row[3]) if row[9] else None,
            latest_value=_text(row[10]), latest_status=row[11], status=row[4],
        )
        for row in rows
    ]


def flag_outcomes(contract_id):
    """The contract's flags by kind and how they ended. One grouped statement."""
    discussed = (
        select(checkin_flags.c.flag_id)
        .join(CheckIn, CheckIn.id == checkin_flags.c.checkin_id)
        .where(CheckIn.status == "held")
    )
    state = case(
        (Flag.resolved_at.is_(None), "open"),
        (Flag.resolved_by_id.is_(None), "cleared"),
        else_="by_hand",
    )
    rows = db.session.execute(
        select(Flag.kind, state, func.count(Flag.id), func.sum(case((Flag.id.in_(discussed), 1), else_=0)))
        .where(Flag.contract_id == contract_id)
        .group_by(Flag.kind, state)
    ).all()
    by_kind = {}
    for kind, outcome, n, n_discussed in rows:
        entry = by_kind.setdefault(kind, FlagOutcomes(kind))
        setattr(entry, outcome, getattr(entry, outcome) + int(n))
        entry.discussed += int(n_discussed or 0)
    order = list(FLAG_KINDS)
    return sorted(by_kind.values(), key=lambda f: (order.index(f.kind) if f.kind in order else len(order), f.kind))


def recent_flags(contract_id, limit=RECENT_FLAGS):
    rows = db.session.execute(
        select(Flag.id, Flag.kind, Flag.summary, Flag.opened_at, Flag.resolved_at, Flag.resolved_by_id, Flag.resolution_note)
        .where(Flag.contract_id == contract_id)
        .order_by(Flag.opened_at.desc(), Flag.id.desc())
        .limit(limit)
    ).all()
    return [
        FlagLine(row[0], row[1], row[2], today_for(row[3]), today_for(row[4]) if row[4] else None,
                 row[5] is not None, row[6] or "")
        for row in rows
    ]


def payment_adjustments(contract_id):
    """The adjustments of the contract's approved payment statements (the latest approved
    revision of each billing period): every line but the scheduled payment — withheld and
    released, penalties, incentives, outcome and milestone payments — with its period, reason
    in words and signed amount, oldest first; None when the contract has no payment terms (its
    payments are not computed from results). One statement, plus one for the terms."""
    from contracts_app.formatting import cents
    from contracts_app.payments.inputs import latest_approved
    from contracts_app.payments.models import PaymentStatement, PaymentStatementLine, PaymentTerms

    if db.session.scalar(select(PaymentTerms.id).where(PaymentTerms.contract_id == contract_id)) is None:
        return None
    latest = latest_approved()
    rows = db.session.execute(
        select(PaymentStatement.period_label, PaymentStatement.currency, PaymentStatementLine.reason,
               PaymentStatementLine.amount)
        .join(PaymentStatementLine, PaymentStatementLine.statement_id == PaymentStatement.id)
        .join(latest, (latest.c.contract_id == PaymentStatement.contract_id)
              & (latest.c.period_start == PaymentStatement.period_start)
              & (latest.c.revision == PaymentStatement.revision))
        .where(PaymentStatement.contract_id == contract_id, PaymentStatementLine.kind != "scheduled")
        .order_by(PaymentStatement.period_start, PaymentStatementLine.position)
    ).all()
    return [{"period": period, "reason": reason, "amount": cents(amount, currency)}
            for period, currency, reason, amount in rows]


def _evaluation(contract_id):
    row = db.session.execute(
        select(CloseoutEvaluation).where(CloseoutEvaluation.contract_id == contract_id)
    ).scalar_one_or_none()
    if row is None:
        return None
    return {
        **{key: getattr(row, key) for key in RATING_FIELDS},
        "average": round(row.average, 2), "narrative": row.narrative, "vendor_comment": row.vendor_comment,
        "evaluated_on": row.evaluated_on,
    }


def other_contracts(contract):
    """The vendor's other (unarchived) contracts with their health and closeout rating. One statement."""
    average = sum(getattr(CloseoutEvaluation, key) for key in RATING_FIELDS) * 1.0 / len(RATING_FIELDS)
    rows = db.session.execute(
        select(Contract.id, Contract.reference, Contract.title, Contract.status, Contract.health, Contract.end_date, average)
        .outerjoin(CloseoutEvaluation, CloseoutEvaluation.contract_id == Contract.id)
        .where(Contract.vendor_id == contract.vendor_id, Contract.id != contract.id, Contract.archived_at.is_(None))
        .order_by(Contract.end_date.desc(), Contract.reference)
    ).all()
    return [
        OtherContract(row[0], row[1], row[2], row[3], row[4], row[5],
                      None if row[6] is None else round(float(row[6]), 2))
        for row in rows
    ]


def performance_summary(contract):
    """The whole summary for ``contract`` (a loaded Contract). Nine statements (two for the payment adjustments)."""
    held = db.session.execute(
        select(func.count(CheckIn.id), func.min(CheckIn.held_on), func.max(CheckIn.held_on))
        .where(CheckIn.contract_id == contract.id, CheckIn.status == "held")
    ).one()
    flags = flag_outcomes(contract.id)
    return Summary(
        contract_id=contract.id,
        metrics=metric_records(contract.id),
        flags=flags,
        recent_flags=recent_flags(contract.id),
        flags_total=sum(f.total for f in flags),
        checkins_held=int(held[0] or 0),
        first_checkin=held[1],
        last_checkin=held[2],
        payment_adjustments=payment_adjustments(contract.id),
        evaluation=_evaluation(contract.id),
        other_contracts=other_contracts(contract),
    )
