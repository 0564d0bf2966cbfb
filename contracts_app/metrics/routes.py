"""Metric pages: create, edit, detail, per-period targets, readings and corrections."""
from flask_babel import gettext as _, ngettext
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from contracts_app.digits import coerce_id
from contracts_app.contracts.models import Contract
from contracts_app.db_types import utcnow
from contracts_app.dimensions.services import group_tables, list_dimensions
from contracts_app.extensions import db
from contracts_app.formatting import number, percent, plain_number
from contracts_app.portfolio import charts
from contracts_app.metrics import bp, rules, services, status, summaries
from contracts_app.metrics.forms import (
    CorrectionForm, MetricForm, PeriodReadingsForm, ReadingForm, target_field_name, targets_form,
)
from contracts_app.metrics.models import Metric, Reading
from contracts_app.permissions import can_edit_contract, can_enter_readings, require
from contracts_app.forms_common import errors_on, show_error


def _metric_or_404(metric_id):
    return db.get_or_404(Metric, metric_id, options=[joinedload(Metric.contract)])




@bp.route("/contracts/<int:contract_id>/metrics/new", methods=["GET", "POST"])
def new(contract_id):
    contract = db.get_or_404(Contract, contract_id)
    require(can_edit_contract(current_user, contract))
    form = MetricForm()
    form.set_dimension_choices(list_dimensions())
    if form.validate_on_submit():
        with errors_on(form, "name"):
            metric, warning = services.create_metric(contract, current_user, form.values())
            flash(_('Metric %(name)s added.', name=metric.name), "success")
            if warning:
                flash(warning, "warning")
            # Back to the contract, whose metrics section offers "Add another metric".
            return redirect(url_for("contracts.detail", contract_id=contract.id, _anchor="metrics"))
    limit = current_app.config["METRICS_WARN_ABOVE"]
    return render_template(
        "metrics/form.html", form=form, contract=contract, metric=None,
        crowded=len(contract.metrics) >= limit, limit=limit,
    )


def _group_charts(metric, tables):
    """{dimension id: chart} of the latest period's groups, each against its target."""
    result = {}
    for dimension, lines in tables:
        if not lines:
            continue
        row, cells = lines[0]
        bars = [{"label": group.name, "value": achieved, "status": state,
                 "text": f"{number(value)} · {percent(achieved)}" if value is not None else _("no value")}
                for group, value, achieved, state in cells]
        result[dimension.id] = charts.responsive(
            charts.group_bars, bars,
            title=_("%(metric)s by %(dimension)s, %(period)s: each group against its target", metric=metric.name,
                    dimension=dimension.name, period=row.label))
    return result


@bp.route("/metrics/<int:metric_id>")
def detail(metric_id):
    metric = _metric_or_404(metric_id)
    rows = summaries.metric_period_rows(metric)
    corrected = [row for row in rows if row.reading is not None and row.reading.revisions]
    tables = group_tables(metric, rows)
    return render_template(
        "metrics/detail.html", metric=metric, contract=metric.contract, rows=rows, corrected=corrected,
        range_text=summaries.range_text(metric), group_tables=tables, group_charts=_group_charts(metric, tables),
    )


@bp.route("/metrics/<int:metric_id>/edit", methods=["GET", "POST"])
def edit(metric_id):
    metric = _metric_or_404(metric_id)
    require(can_edit_contract(current_user, metric.contract))
    form = MetricForm(obj=metric)
    form.set_dimension_choices(list_dimensions(), metric)
    if form.validate_on_submit():
        with errors_on(form, "name"):
            services.update_metric(metric, current_user, form.values())
            flash(_('Metric %(name)s updated; its readings were re-judged.', name=metric.name), "success")
            return redirect(url_for("metrics.detail", metric_id=metric.id))
    return render_template("metrics/form.html", form=form, contract=metric.contract, metric=metric, crowded=False)


@bp.route("/metrics/<int:metric_id>/targets", methods=["GET", "POST"])
def targets(metric_id):
    metric = _metric_or_404(metric_id)
    require(can_edit_contract(current_user, metric.contract))
    periods = [(p, p.label(metric.cadence)) for p in status.metric_periods(metric)]
    linear = services.linear_targets(metric)
    if metric.direction == "range":
        if request.method == "POST":
            flash(_('Range metrics are judged against their range; per-period targets are not used.'), "warning")
            return redirect(url_for("metrics.targets", metric_id=metric.id))
        return render_template("metrics/targets.html", metric=metric, contract=metric.contract, form=None, rows=[])
    prefill = status.explicit_targets(metric)
    form = targets_form(metric, periods, linear, prefill, formdata=request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        values = {p.start: form[target_field_name(p.start)].data for p, _ in periods}
        try:
            services.set_targets(metric, current_user, values)
        except services.MetricError as error:
            key = target_field_name(error.field) if hasattr(error.field, "strftime") else None
            if key and key in form:
                form[key].errors.append(str(error))
            else:
                form.form_errors.append(str(error))
        else:
            flash(_('Targets of %(name)s saved; its readings were re-judged.', name=metric.name), "success")
            return redirect(url_for("metrics.detail", metric_id=metric.id))
    rows = [(period, label, linear.get(period.start), form[target_field_name(period.start)]) for period, label in periods]
    return render_template("metrics/targets.html", metric=metric, contract=metric.contract, form=form, rows=rows)


# The reading forms' inputs per group: group-<group id> (readings-<i>-group-<id> per row).
GROUP_PREFIX = "group-"


@bp.route("/metrics/<int:metric_id>/readings/new", methods=["GET", "POST"])
def new_reading(metric_id):
    metric = _metric_or_404(metric_id)
    require(can_enter_readings(current_user, metric.contract))
    now = utcnow()
    options = summaries.reading_period_options(metric, now)
    form = ReadingForm()
    form.period.choices = [(o.period.start.isoformat(), o.label) for o in options]
    if request.method == "GET":
        suggested = summaries.suggested_period(options)
        form.period.data = request.args.get("period") or (suggested.start.isoformat() if suggested else None)
    existing_reading_id = None
    groups = _posted_groups(metric, GROUP_PREFIX) if request.method == "POST" else {}
    if form.validate_on_submit():
        try:
            reading = services.record_reading(
                metric, current_user, form.period.data, form.value.data, form.note.data, now=now,
                allow_in_progress=form.confirm_in_progress.data, groups=groups,
            )
        except services.ReadingExistsError as error:
            form.period.errors.append(str(error))
            existing_reading_id = error.reading_id
        except services.MetricError as error:
            show_error(form, error, "value")
        else:
            label = rules.Period(reading.period_start, reading.period_end).label(metric.cadence)
            flash(_('%(name)s for %(label)s saved: %(status)s.', name=metric.name, label=label, status=rules.STATUS_LABELS.get(reading.status, reading.status)), "success")
            return redirect(url_for("metrics.detail", metric_id=metric.id))
    return render_template(
        "metrics/reading_form.html", form=form, metric=metric, contract=metric.contract, reading=None,
        options=options, existing_reading_id=existing_reading_id,
        in_progress=any(o.in_progress and not o.recorded for o in options),
        group_prefix=GROUP_PREFIX, group_values=groups,
    )


@bp.route("/readings/<int:reading_id>/edit", methods=["GET", "POST"])
def edit_reading(reading_id):
    reading = db.get_or_404(Reading, reading_id)
    metric = reading.metric
    require(can_enter_readings(current_user, metric.contract))
    form = CorrectionForm(data={"value": reading.value, "version": str(reading.version)} if request.method == "GET" else None)
    status_code, stale = 200, None
    if request.method == "POST":
        groups = _posted_groups(metric, GROUP_PREFIX)
    else:
        groups = {v.group_id: plain_number(v.value) for v in reading.group_values}
    if form.validate_on_submit():
        try:
            services.correct_reading(
                reading, current_user, form.value.data, form.note.data, expected_version=form.seen_version(),
                # The form shows every group of the metric's dimensions: what is posted replaces them.
                groups=groups if metric.dimensions else None,
            )
        except services.StaleReadingError as error:
            # Someone corrected it since this form was shown. What the user typed stays in the
            # form; the page shows the reading as it is now, and the form now carries its
            # version, so saving again is a deliberate replacement of the newer value.
            stale = error
            form.version.data = str(error.current_version)
            status_code = 409
        except services.MetricError as error:
            show_error(form, error, "value")
        else:
            flash(_('Reading corrected: %(status)s. The earlier value is kept in its history.', status=rules.STATUS_LABELS.get(reading.status, reading.status)), "success")
            return redirect(url_for("metrics.detail", metric_id=metric.id, _anchor=f"reading-{reading.id}"))
    if form.version.errors:  # a hidden field: say it at the top of the form
        form.form_errors.extend(form.version.errors)
    label = rules.Period(reading.period_start, reading.period_end).label(metric.cadence)
    return render_template(
        "metrics/reading_form.html", form=form, metric=metric, contract=metric.contract, reading=reading,
        period_label=label, options=None, existing_reading_id=None, stale=stale,
        group_prefix=GROUP_PREFIX, group_values=groups,
    ), status_code


def _posted_groups(metric, prefix):
    """{group id: text} of the group inputs posted for ``metric`` (``prefix`` ~ group id)."""
    return {
        group.id: request.form.get(f"{prefix}{group.id}", "").strip()
        for dimension in metric.dimensions for group in dimension.groups
        if request.form.get(f"{prefix}{group.id}", "").strip()
    }


def _day_arg(text):
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


@bp.route("/contracts/<int:contract_id>/readings", methods=["GET", "POST"])
def period_readings(contract_id):
    """One form for a contract and a period: every metric whose period containing ``?period=``
    (a date; default the oldest ended period lacking a reading) has ended without a reading,
    a value and note each, saved all or nothing (``summaries.period_entry_rows``)."""
    contract = db.get_or_404(Contract, contract_id)
    require(can_enter_readings(current_user, contract))
    now = utcnow()
    gaps = summaries.reading_gaps(contract, now)
    day = _day_arg(request.args.get("period")) or gaps.oldest
    form = PeriodReadingsForm()
    if request.method == "POST":
        # The rows are the metrics the page was shown with (by id, not by position), so a
        # reading saved by someone else meanwhile is reported on its row, not shifted onto another.
        try:
            ids = [coerce_id(entry.form.metric_id.data) for entry in form.readings]
        except (TypeError, ValueError):
            abort(400)
        rows = summaries.period_entry_rows(contract, day, now, only=ids) if day else []
        if len(rows) != len(ids) or len(set(ids)) != len(ids):
            abort(400)
    else:
        rows = summaries.period_entry_rows(contract, day, now) if day else []
        for row in rows:
            form.readings.append_entry({"metric_id": row.metric.id})
    if rows and form.validate_on_submit():
        values = [
            {"metric": row.metric, "period_start": row.period.start, "value": entry.form.value.data, "note": entry.form.note.data,
             "groups": _posted_groups(row.metric, f"readings-{index}-{GROUP_PREFIX}")}
            for index, (row, entry) in enumerate(zip(rows, form.readings))
        ]
        try:
            saved = services.record_period_readings(contract, current_user, values, now=now)
        except services.ReadingsError as error:
            for field, message in error.problems.items():
                show_error(form, services.MetricError(message, field))
        except services.MetricError as error:
            show_error(form, error)
        else:
            flash(ngettext('%(num)s reading saved.', '%(num)s readings saved.', len(saved)), "success")
            remaining = summaries.reading_gaps(contract, now).oldest
            if remaining is not None:
                return redirect(url_for("metrics.period_readings", contract_id=contract.id, period=remaining.isoformat()))
            return redirect(url_for("contracts.detail", contract_id=contract.id, _anchor="metrics"))
    return render_template(
        "metrics/period_readings.html", form=form, contract=contract, rows=list(zip(rows, form.readings)),
        day=day, gaps=gaps,
        posted_groups=lambda metric, prefix: _posted_groups(metric, prefix) if request.method == "POST" else {},
    )
