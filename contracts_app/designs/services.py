"""Contract templates: save a contract's design, check a template document, import it, and
start a contract from it.

Every command validates, writes, audits and commits, or raises ``TemplateError`` having
written nothing (``errors.command``).
"""
import json
import os
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import jsonschema
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from contracts_app.audit.services import record, snapshot
from contracts_app.contracts.models import PAYMENT_STRUCTURES, Contract
from contracts_app.db_types import utcnow
from contracts_app.designs.models import FORMAT, FORMAT_VERSION, READABLE_VERSIONS, ContractTemplate
from contracts_app.dimensions.models import Dimension, DimensionGroup
from contracts_app.dimensions.services import dimension_problems
from contracts_app.errors import ServiceError, command
from contracts_app.extensions import db
from contracts_app.management.models import CheckIn
from contracts_app.metrics import status
from contracts_app.metrics.models import Metric, Reading
from contracts_app.metrics.services import metric_problems
from contracts_app.metrics.status import today_for
from contracts_app.milestones.models import Milestone
from contracts_app.milestones.services import milestone_problems
from contracts_app.payments.models import MILESTONE, PaymentRule, PaymentTerms
from contracts_app.portfolio.models import RATING_FIELDS, CloseoutEvaluation

SCHEMA_PATH = os.path.join(os.path.dirname(__file__), "template.schema.json")
with open(SCHEMA_PATH, encoding="utf-8") as _file:
    SCHEMA = json.load(_file)
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())

METRIC_FIELDS = ("name", "definition", "unit", "direction", "cadence", "tolerance_pct", "on_track_pct", "at_risk_pct",
                 "due_days", "data_source", "indicator_type", "payment_linked", "is_public", "reported_by", "is_count",
                 "target_notes")
# The values a template leaves to the officer: metric_problems asks for them, a template's
# metric is created without them, and the contract page asks for them.
METRIC_VALUES = ("baseline_value", "target_value", "range_low", "range_high")
MILESTONE_FIELDS = ("title", "description", "milestone_type", "payment_linked")
METRIC_DECIMALS = ("tolerance_pct", "on_track_pct", "at_risk_pct")
RULE_DECIMALS = ("percent", "at_risk_release_pct", "release_pct", "min_points", "cap_per_period", "cap_per_contract",
                 "price_per_unit", "floor", "minimum", "cap_total")
RULE_FLAGS = ("missing_releases", "missing_penalised")
MAX_DOCUMENT_BYTES = 1_000_000


class TemplateError(ServiceError):
    """A template change that cannot be made; ``problems`` lists (JSON path, message) when
    the trouble is in a template document."""

    def __init__(self, message, field=None, problems=()):
        super().__init__(message, field)
        self.problems = list(problems)


def _text(value):
    """A Decimal as plain text without trailing zeros (None stays None)."""
    if value is None:
        return None
    return format(Decimal(value).normalize(), "f")


# --- Building the document from a contract ------------------------------------------------

def track_record(contract, today):
    """The share of rated reporting periods on track (every reading of the contract's metrics
    is one metric's period, its status stored when it was written) and the closeout rating."""
    rated, on_track = db.session.execute(
        select(func.count(Reading.id), func.coalesce(func.sum(case((Reading.status == "on_track", 1), else_=0)), 0))
        .join(Metric, Metric.id == Reading.metric_id)
        .where(Metric.contract_id == contract.id, Reading.status.in_(("on_track", "at_risk", "off_track")))
    ).one()
    evaluation = db.session.scalar(select(CloseoutEvaluation).where(CloseoutEvaluation.contract_id == contract.id))
    rating = None
    if evaluation is not None:
        rating = (Decimal(sum(getattr(evaluation, f) for f in RATING_FIELDS)) / len(RATING_FIELDS)).quantize(
            Decimal("0.01"), ROUND_HALF_UP)
    share = (Decimal(on_track) / rated).quantize(Decimal("0.0001"), ROUND_HALF_UP) if rated else None
    return {"periods_rated": int(rated), "periods_on_track": int(on_track), "on_track_share": _text(share),
            "closeout_rating": _text(rating), "source_reference": contract.reference, "computed_on": today.isoformat()}


def checkin_interval_days(contract):
    """The usual days between the contract's check-ins (the median gap), or None with fewer than two."""
    days = sorted(db.session.scalars(select(CheckIn.scheduled_for).where(CheckIn.contract_id == contract.id)))
    gaps = sorted((b - a).days for a, b in zip(days, days[1:]) if (b - a).days > 0)
    if not gaps:
        return None
    return min(366, gaps[len(gaps) // 2])


def _metric_design(metric, key):
    entry = {"key": key}
    for name in METRIC_FIELDS:
        value = getattr(metric, name)
        entry[name] = _text(value) if name in METRIC_DECIMALS else value
    for name in ("definition", "data_source", "target_notes"):
        entry[name] = entry[name] or ""
    entry["is_count"] = bool(entry["is_count"])
    entry["dimensions"] = [{"name": d.name, "groups": [g.name for g in d.groups]} for d in metric.dimensions]
    return entry


def _share(amount, contract):
    """``amount`` as a share of the contract's value (six places, at most 1)."""
    if amount is None or not contract.value:
        return None
    return _text(min(Decimal(1), (Decimal(amount) / Decimal(contract.value)).quantize(Decimal("0.000001"))))


def _milestone_design(milestone, key, contract):
    entry = {"key": key, "offset_days": max(0, (milestone.due_date - contract.start_date).days)}
    for name in MILESTONE_FIELDS:
        entry[name] = getattr(milestone, name)
    entry["description"] = entry["description"] or ""
    entry["payment_linked"] = bool(entry["payment_linked"])
    return entry


def _rule_design(rule, keys, milestone_keys, contract):
    entry = {"kind": rule.kind}
    for name in RULE_DECIMALS:
        entry[name] = _text(getattr(rule, name))
    for name in RULE_FLAGS:
        entry[name] = bool(getattr(rule, name))
    entry["grace_periods"] = rule.grace_periods
    entry["tiers"] = [dict(t) for t in rule.tiers] if rule.tiers else None
    entry["metrics"] = [{"metric": keys[link.metric_id], "weight": _text(link.weight), "aggregation": link.aggregation}
                        for link in rule.metrics if link.metric_id in keys]
    if rule.kind == MILESTONE:
        # The amount travels as a share of the contract's value, as the payment terms do.
        entry.update(milestone=milestone_keys[rule.milestone_id], amount_share=_share(rule.amount, contract),
                     partial_share_pct=_text(rule.partial_share_pct))
    return entry


def build_document(contract, name, kind_of_service, note, today):
    """The design of ``contract`` as a version-1 template document."""
    metrics = db.session.scalars(select(Metric).where(Metric.contract_id == contract.id)
                                 .order_by(Metric.position, Metric.id)).all()
    keys = {metric.id: f"m{position + 1}" for position, metric in enumerate(metrics)}
    milestones = db.session.scalars(select(Milestone).where(Milestone.contract_id == contract.id)
                                    .order_by(Milestone.due_date, Milestone.id)).all()
    milestone_keys = {milestone.id: f"ms{position + 1}" for position, milestone in enumerate(milestones)}
    terms = db.session.scalar(select(PaymentTerms).where(PaymentTerms.contract_id == contract.id))
    # The rules in force: ended ones are history.
    rules = db.session.scalars(
        select(PaymentRule).where(PaymentRule.contract_id == contract.id, PaymentRule.effective_to.is_(None))
        .order_by(PaymentRule.position, PaymentRule.id)
    ).all()
    share = _share(terms.amount_per_period, contract) if terms is not None else None
    return {
        "format": FORMAT, "version": FORMAT_VERSION,
        "name": name, "kind_of_service": kind_of_service, "note": note,
        "contract_kind": contract.kind, "problem": contract.problem, "outcomes": contract.outcomes,
        "payment_structure": contract.payment_structure, "payment_terms_text": contract.payment_terms,
        "payment_terms": {"billing_period": terms.billing_period, "amount_share": share} if terms else None,
        "payment_rules": [_rule_design(rule, keys, milestone_keys, contract) for rule in rules],
        "metrics": [_metric_design(metric, keys[metric.id]) for metric in metrics],
        "milestones": [_milestone_design(m, milestone_keys[m.id], contract) for m in milestones],
        "checkin_interval_days": checkin_interval_days(contract),
        "suggestions": {"department": contract.department, "priorities": [p.name for p in contract.priorities]},
        "track_record": track_record(contract, today),
    }


# --- Checking a document -----------------------------------------------------------------

def _path(parts):
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def document_problems(document):
    """Every problem with a template document as (JSON path, message), in document order."""
    if not isinstance(document, dict):
        return [("$", _("A template is a JSON object; this is a %(kind)s.", kind=type(document).__name__))]
    if document.get("format") != FORMAT:
        return [("$.format", _('This is not an RDC Tracker contract template (its "format" is not "%(format)s").',
                               format=FORMAT))]
    if document.get("version") not in READABLE_VERSIONS:
        return [("$.version", _("Template format version %(version)s is not supported; this tracker reads versions 1 "
                                "to %(ours)s.", version=document.get("version"), ours=FORMAT_VERSION))]
    problems = [(_path(error.absolute_path), error.message)
                for error in sorted(_VALIDATOR.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))]
    if problems:
        return problems
    keys = set()
    for index, metric in enumerate(document["metrics"]):
        if metric["key"] in keys:
            problems.append((f"$.metrics[{index}].key", _("The key %(key)s is used by an earlier metric.", key=metric["key"])))
        keys.add(metric["key"])
        for field, message in _metric_definition_problems(metric).items():
            problems.append((f"$.metrics[{index}].{field}", message))
        names = set()
        for position, dimension in enumerate(metric.get("dimensions") or []):
            path = f"$.metrics[{index}].dimensions[{position}]"
            if dimension["name"].casefold() in names:
                problems.append((f"{path}.name", _("The metric names this dimension twice.")))
            names.add(dimension["name"].casefold())
            if len({g.casefold() for g in dimension["groups"]}) != len(dimension["groups"]):
                problems.append((f"{path}.groups", _("A group is listed twice.")))
    milestones = {}
    for index, milestone in enumerate(document.get("milestones") or []):
        if milestone["key"] in milestones:
            problems.append((f"$.milestones[{index}].key",
                             _("The key %(key)s is used by an earlier milestone.", key=milestone["key"])))
        milestones[milestone["key"]] = milestone
    for index, rule in enumerate(document["payment_rules"]):
        if rule["kind"] == MILESTONE:
            milestone = milestones.get(rule.get("milestone"))
            if milestone is None:
                problems.append((f"$.payment_rules[{index}].milestone",
                                 _("A milestone payment names the milestone it pays for: no milestone of the template "
                                   "has the key %(key)s.", key=rule.get("milestone"))))
            elif not milestone.get("payment_linked"):
                problems.append((f"$.payment_rules[{index}].milestone",
                                 _("The milestone %(title)s is not payment-linked.", title=milestone["title"])))
            if rule.get("amount_share") is None:
                problems.append((f"$.payment_rules[{index}].amount_share",
                                 _("A milestone payment needs its amount, as a share of the contract's value.")))
        for position, link in enumerate(rule.get("metrics") or []):
            if link["metric"] not in keys:
                problems.append((f"$.payment_rules[{index}].metrics[{position}].metric",
                                 _("No metric of the template has the key %(key)s.", key=link["metric"])))
        if rule["kind"] in ("withhold", "penalty", "incentive", "outcome") and not rule.get("metrics"):
            problems.append((f"$.payment_rules[{index}].metrics", _("This kind of rule needs the metric it depends on.")))
    if document["payment_rules"] and not document.get("payment_terms"):
        problems.append(("$.payment_terms", _("Payment rules need payment terms (the billing period).")))
    return problems


def _metric_definition_problems(entry):
    """metric_problems for a template's metric, without the values a template leaves out."""
    values = {name: entry.get(name) for name in METRIC_FIELDS}
    for name in METRIC_DECIMALS:
        values[name] = Decimal(values[name]) if values[name] is not None else None
    # What a template leaves out, the metric's column default gives (as apply_to_contract creates it).
    for name in ("indicator_type", "due_days", "on_track_pct", "at_risk_pct"):
        if values[name] is None:
            default = Metric.__table__.c[name].default.arg
            values[name] = Decimal(default) if name in METRIC_DECIMALS else default
    if values.get("reported_by") is None:
        values.pop("reported_by")
    left_out = set(METRIC_VALUES) | ({"tolerance_pct"} if values["tolerance_pct"] is None else set())
    return {field: message for field, message in metric_problems(values).items() if field not in left_out}


def parse_document(raw):
    """(document, problems) from uploaded bytes or text."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_DOCUMENT_BYTES:
            return None, [("$", _("The file is larger than 1 MB; a template is a few kilobytes."))]
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None, [("$", _("The file is not UTF-8 text."))]
    if not (raw or "").strip():
        return None, [("$", _("The file is empty."))]
    try:
        document = json.loads(raw, parse_float=str, parse_constant=lambda name: None)
    except ValueError as error:
        return None, [("$", _("The file is not JSON: %(error)s.", error=str(error)))]
    return document, document_problems(document)


def _searchable(document):
    return "\n".join(str(document.get(name) or "") for name in ("name", "kind_of_service", "note", "problem",
                                                             "outcomes")).lower()


def _row_values(document):
    suggestions = document.get("suggestions") or {}
    record_ = document.get("track_record") or {}
    return dict(
        name=document["name"].strip(), kind_of_service=" ".join(document["kind_of_service"].split()),
        payment_structure=document["payment_structure"],
        department=suggestions.get("department") or None,
        priority_names="\n" + "".join(f"{name}\n" for name in suggestions.get("priorities") or []),
        search_text=_searchable(document), format_version=document["version"], design=document,
        periods_rated=record_.get("periods_rated") or 0,
        on_track_share=Decimal(record_["on_track_share"]) if record_.get("on_track_share") else None,
        closeout_rating=Decimal(record_["closeout_rating"]) if record_.get("closeout_rating") else None,
    )


def _check_name(name):
    if db.session.scalar(select(ContractTemplate.id).where(func.lower(ContractTemplate.name) == name.lower())):
        raise TemplateError(_("A template named %(name)s exists already: give this one another name.", name=name),
                            "name", problems=[("$.name", _("A template with this name exists already."))])


# --- Commands ----------------------------------------------------------------------------

def _store(document, actor, origin, source_contract=None, now=None, commit=True):
    problems = document_problems(document)
    if problems:
        raise TemplateError(_("The template has %(n)s problem(s); nothing was saved.", n=len(problems)), problems=problems)
    values = _row_values(document)
    if not values["name"]:
        raise TemplateError(_("Give the template a name."), "name")
    _check_name(values["name"])
    template = ContractTemplate(origin=origin, source_contract=source_contract,
                                created_by_id=actor.id if actor is not None else None, created_at=now or utcnow(),
                                **values)
    db.session.add(template)
    db.session.flush()
    after = snapshot(template)
    after.pop("design", None)
    after.pop("search_text", None)
    record(actor, "create", template, after=after, contract_id=source_contract.id if source_contract else None,
           summary=(f"Saved {source_contract.reference} as the template {template.name}" if source_contract
                    else f"Imported the contract template {template.name}"))
    if commit:
        db.session.commit()
    return template


@command
def save_from_contract(contract, actor, name, kind_of_service, note, now=None, origin="saved", commit=True):
    """Save ``contract``'s design as a new template; returns it. (The demo loader saves its
    templates with ``origin="demo"`` inside its own transaction: ``commit=False``.)"""
    now = now or utcnow()
    name = (name or "").strip()
    kind_of_service = " ".join((kind_of_service or "").split())
    if not name:
        raise TemplateError(_("Give the template a name."), "name")
    if not kind_of_service:
        raise TemplateError(_("Say what kind of service this is (for example street outreach)."), "kind_of_service")
    document = build_document(contract, name, kind_of_service, (note or "").strip(), today_for(now))
    return _store(document, actor, origin, source_contract=contract, now=now, commit=commit)


@command
def import_document(document, actor, origin="imported", now=None):
    """Store a checked template document (from another city, or the demo); returns it."""
    return _store(document, actor, origin, now=now)


def _money(value):
    return Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _dimension_for(design, actor, template):
    """The city's dimension of the template dimension's name (its groups are the city's), or a
    new one with the template's groups, audited."""
    name = design["name"].strip()
    dimension = db.session.scalar(select(Dimension).where(func.lower(Dimension.name) == name.lower()))
    if dimension is not None:
        return dimension, False
    groups = [group.strip() for group in design["groups"]]
    problems = dimension_problems(name, groups)
    if problems:
        raise TemplateError(_("The template's dimension %(name)s cannot be added: %(problem)s", name=name,
                              problem=next(iter(problems.values()))))
    dimension = Dimension(name=name, description=_("Added from the template %(name)s.", name=template.name))
    dimension.groups = [DimensionGroup(name=group, position=position) for position, group in enumerate(groups)]
    db.session.add(dimension)
    db.session.flush()
    record(actor, "create", dimension, after=snapshot(dimension, {"groups": groups}),
           summary=f"Added dimension {dimension.name} ({len(groups)} groups) from the template {template.name}")
    return dimension, True


def _template_milestone(contract, entry, template):
    """A template milestone's values for ``contract``: due ``offset_days`` after its start, or
    on its end date when its term is shorter (and its notes say so)."""
    due = contract.start_date + timedelta(days=entry["offset_days"])
    notes = ""
    if due > contract.end_date:
        notes = _("From the template %(name)s: due %(days)s days after the start, which is after this contract's end; "
                  "set on its end date.", name=template.name, days=entry["offset_days"])
        due = contract.end_date
    values = {name: entry.get(name) for name in MILESTONE_FIELDS}
    values.update(due_date=due, status="scheduled", milestone_type=entry.get("milestone_type") or "delivery",
                  description=entry.get("description") or "", payment_linked=bool(entry.get("payment_linked")))
    return values, notes


def _template_rule_values(contract, entry, metrics, milestones):
    values = {name: Decimal(entry[name]) if entry.get(name) is not None else None for name in RULE_DECIMALS}
    values.update({name: bool(entry.get(name)) for name in RULE_FLAGS})
    values["grace_periods"] = entry.get("grace_periods")
    values["tiers"] = [{"threshold": Decimal(t["threshold"]),
                        "amount": Decimal(t["amount"]) if t.get("amount") is not None else None,
                        "percent": Decimal(t["percent"]) if t.get("percent") is not None else None}
                       for t in entry.get("tiers") or []]
    values["metrics"] = [{"metric_id": metrics[link["metric"]].id,
                          "weight": Decimal(link["weight"]) if link.get("weight") is not None else None,
                          "aggregation": link.get("aggregation") or "sum"}
                         for link in entry.get("metrics") or [] if link["metric"] in metrics]
    if entry["kind"] == MILESTONE:
        milestone = milestones.get(entry.get("milestone"))
        values["milestone_id"] = milestone.id if milestone is not None else None
        values["amount"] = (_money(Decimal(contract.value) * Decimal(entry["amount_share"]))
                            if entry.get("amount_share") is not None else None)
        values["partial_share_pct"] = (Decimal(entry["partial_share_pct"]) if entry.get("partial_share_pct") is not None
                                       else None)
    return values


@command
def apply_to_contract(contract, template, actor, now=None):
    """Give a newly registered ``contract`` the template's metrics (without baselines or
    targets: the officer sets them; with their dimensions, the city's of the same name or new
    ones), milestones, payment terms and rules, each checked by the rules of its own form, and
    record where it came from. Returns the names of the dimensions it added to the city."""
    from contracts_app.payments.services import _apply_rule, _check_whole_set, _rule_snapshot, rule_problems

    now = now or utcnow()
    if db.session.scalar(select(func.count(Metric.id)).where(Metric.contract_id == contract.id)) or db.session.scalar(
            select(PaymentTerms.id).where(PaymentTerms.contract_id == contract.id)):
        raise TemplateError(_("Contract %(reference)s has metrics or payment terms already: a template only fills a new "
                              "contract.", reference=contract.reference))
    document = template.design
    problems = document_problems(document)
    if problems:
        raise TemplateError(_("The template %(name)s has %(n)s problem(s): %(path)s %(problem)s", name=template.name,
                              n=len(problems), path=problems[0][0], problem=problems[0][1]), problems=problems)
    added_dimensions = []
    by_key = {}
    for position, entry in enumerate(document.get("metrics") or []):
        values = {name: entry.get(name) for name in METRIC_FIELDS if entry.get(name) is not None}
        for name in METRIC_DECIMALS:
            if name in values:
                values[name] = Decimal(values[name])
        dimensions = []
        for design in entry.get("dimensions") or []:
            dimension, created = _dimension_for(design, actor, template)
            if created:
                added_dimensions.append(dimension.name)
            if dimension not in dimensions:
                dimensions.append(dimension)
        metric = Metric(contract_id=contract.id, position=position, status="no_data", **values)
        metric.dimensions = sorted(dimensions, key=lambda d: d.name)
        db.session.add(metric)
        db.session.flush()
        status.refresh_metric(metric, now)
        record(actor, "create", metric, after=snapshot(metric, {"dimensions": [d.name for d in metric.dimensions]}),
               contract_id=contract.id,
               summary=f"Added metric {metric.name} to {contract.reference} from the template {template.name}")
        by_key[entry["key"]] = metric
    milestones = {}
    for index, entry in enumerate(document.get("milestones") or []):
        values, notes = _template_milestone(contract, entry, template)
        found = milestone_problems(values)
        if found:
            field, message = next(iter(found.items()))
            raise TemplateError(message, problems=[(f"$.milestones[{index}].{field}", message)])
        milestone = Milestone(contract_id=contract.id, notes=notes, **values)
        db.session.add(milestone)
        db.session.flush()
        record(actor, "create", milestone, after=snapshot(milestone), contract_id=contract.id,
               summary=f"Added milestone {milestone.title} to {contract.reference} from the template {template.name}")
        milestones[entry["key"]] = milestone
    terms_design = document.get("payment_terms")
    terms = None
    if terms_design:
        share = Decimal(terms_design.get("amount_share") or 0)
        terms = PaymentTerms(contract_id=contract.id, billing_period=terms_design["billing_period"],
                             amount_per_period=min(_money(Decimal(contract.value) * share), Decimal(contract.value)),
                             reason=f"From the template {template.name}", updated_by_id=actor.id, created_at=now,
                             updated_at=now)
        db.session.add(terms)
        db.session.flush()
        record(actor, "create", terms, after=snapshot(terms), contract_id=contract.id,
               summary=f"Set the payment terms of {contract.reference} from the template {template.name}")
    for position, entry in enumerate(document.get("payment_rules") or []):
        values = _template_rule_values(contract, entry, by_key, milestones)
        # The rules of the rule form; a template's rules apply from the contract's start.
        found = rule_problems(contract, entry["kind"], {**values, "effective_from": contract.start_date,
                                                        "reason": f"From the template {template.name}"}, terms)
        if found:
            field, message = next(iter(found.items()))
            raise TemplateError(_("The template's payment rule %(n)s cannot be applied: %(problem)s", n=position + 1,
                                  problem=message), problems=[(f"$.payment_rules[{position}].{field}", message)])
        rule = PaymentRule(contract_id=contract.id, created_by_id=actor.id, position=position,
                           reason=f"From the template {template.name}", created_at=now, updated_at=now)
        _apply_rule(rule, entry["kind"], values)
        db.session.add(rule)
        db.session.flush()
        record(actor, "create", rule, after=_rule_snapshot(rule), contract_id=contract.id,
               summary=f"Added a payment rule to {contract.reference} from the template {template.name}")
    if document.get("payment_rules"):
        _check_whole_set(contract)
    before = {"template_id": contract.template_id}
    contract.template_id = template.id
    status.refresh_contract_health(contract, now)
    record(actor, "update", contract, before=before, after={"template_id": template.id}, contract_id=contract.id,
           summary=f"Started {contract.reference} from the template {template.name}")
    db.session.commit()
    return added_dimensions


# --- Reading -----------------------------------------------------------------------------

def library_query(filters):
    """The library, filtered: ``q`` (text), ``priority``, ``department``, ``payment_structure``, ``kind``."""
    query = select(ContractTemplate).order_by(ContractTemplate.name)
    text = (filters.get("q") or "").strip().lower()
    if text:
        for word in text.split()[:8]:
            query = query.where(ContractTemplate.search_text.contains(word, autoescape=True))
    if filters.get("priority"):
        query = query.where(ContractTemplate.priority_names.contains(f"\n{filters['priority']}\n", autoescape=True))
    if filters.get("department"):
        query = query.where(func.lower(ContractTemplate.department) == filters["department"].lower())
    if filters.get("payment_structure") in PAYMENT_STRUCTURES:
        query = query.where(ContractTemplate.payment_structure == filters["payment_structure"])
    if filters.get("kind"):
        query = query.where(func.lower(ContractTemplate.kind_of_service) == filters["kind"].lower())
    return query


def filter_choices():
    """The kinds of service and departments the library's templates name (for its filters)."""
    kinds = db.session.scalars(select(ContractTemplate.kind_of_service).distinct().order_by(ContractTemplate.kind_of_service)).all()
    departments = db.session.scalars(select(ContractTemplate.department).where(ContractTemplate.department.is_not(None))
                                     .distinct().order_by(ContractTemplate.department)).all()
    return kinds, departments


def contracts_from(template):
    """The contracts started from ``template``, with their stored health."""
    return db.session.scalars(select(Contract).where(Contract.template_id == template.id).order_by(Contract.reference)).all()


def export_document(template):
    """The template as its versioned JSON document."""
    return dict(template.design)


def prefill(template):
    """Contract form values from the template's design (the officer fills in the rest)."""
    document = template.design
    return {"kind": document.get("contract_kind") or "contract", "payment_structure": document["payment_structure"],
            "payment_terms": document.get("payment_terms_text") or "", "problem": document.get("problem") or "",
            "outcomes": document.get("outcomes") or "",
            "department": (document.get("suggestions") or {}).get("department") or ""}
