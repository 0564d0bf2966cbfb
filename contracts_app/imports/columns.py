"""The columns of the contract import CSV: one list that the template download, the help on the
import page, the header check and the validation all read, so that they cannot disagree.

Shape: one row per metric. The contract columns are repeated on each row of the contract (rows
with the same reference form one contract); a contract with no metrics is one row with the
metric columns empty.
"""
from dataclasses import dataclass

from contracts_app.i18n import lazy_gettext as _l
from contracts_app.contracts.models import KINDS, PAYMENT_STRUCTURES, STATUSES, Contract
from contracts_app.db_types import LONG_TEXT, max_length
from contracts_app.metrics.models import CADENCES, DIRECTIONS, INDICATOR_TYPES, Metric

CONTRACT = "contract"
METRIC = "metric"


@dataclass(frozen=True)
class Column:
    name: str
    group: str  # CONTRACT or METRIC
    required: bool  # must have a value (metric columns: in a row that has a metric)
    help: str
    examples: tuple = ("", "")  # the template's two example rows
    choices: dict | None = None  # allowed codes -> names (either is accepted)
    default: str = ""  # what a blank cell means, in words

    @property
    def in_header_required(self):
        """Required contract columns must be in the header; every other column may be left out."""
        return self.required and self.group == CONTRACT


COLUMNS = (
    # --- the contract (repeated on every row of the contract) ------------------------------
    Column("reference", CONTRACT, True,
           _l("The city's unique reference: letters, digits and . _ / - (at most %(reference)s characters). Rows with the same reference are one contract. It must not be used by an existing contract.", reference=max_length(Contract.reference)),
           ("HS-2026-001", "HS-2026-001")),
    Column("title", CONTRACT, True, _l('At most %(title)s characters.', title=max_length(Contract.title)),
           ("Street outreach, east district", "Street outreach, east district")),
    Column("kind", CONTRACT, False, _l('What it is.'), ("contract", "contract"), choices=KINDS, default=_l('contract')),
    Column("department", CONTRACT, True, _l('At most %(department)s characters.', department=max_length(Contract.department)),
           ("Human Services", "Human Services")),
    Column("vendor", CONTRACT, True,
           _l("The vendor's name. An existing vendor is matched ignoring upper and lower case; a new name creates the vendor, as the “…or a new vendor” box of the contract form does."),
           ("Harbor Light Services", "Harbor Light Services")),
    Column("value", CONTRACT, True,
           _l('Money, zero or more, at most 2 decimal places, with a point for decimals: 1200000 or 1,200,000.00. A leading $, € or £ is ignored.'),
           ("850000.00", "850000.00")),
    Column("currency", CONTRACT, False, _l('A three-letter ISO 4217 code, such as USD.'), ("USD", "USD"),
           default=_l("the city's default currency")),
    Column("start_date", CONTRACT, True, _l('The first day of the term, as YYYY-MM-DD.'), ("2026-01-01", "2026-01-01")),
    Column("end_date", CONTRACT, True, _l('The last day of the term, as YYYY-MM-DD, on or after the start date.'),
           ("2027-12-31", "2027-12-31")),
    Column("awarded_on", CONTRACT, False, _l('When the award was decided, as YYYY-MM-DD; not in the future.'), ("", ""),
           default=_l('not recorded')),
    Column("signed_on", CONTRACT, False,
           _l('When the contract was signed, as YYYY-MM-DD; not before the award, not in the future.'), ("", ""),
           default=_l('not recorded')),
    Column("status", CONTRACT, False, _l('Where the contract stands.'), ("active", "active"), choices=STATUSES,
           default=_l('active')),
    Column("payment_structure", CONTRACT, True, _l('How the vendor is paid.'),
           ("performance_based", "performance_based"), choices=PAYMENT_STRUCTURES),
    Column("payment_terms", CONTRACT, True, _l('How payment ties to results (at most %(LONG_TEXT)s characters).', LONG_TEXT=format(LONG_TEXT, ',')),
           ("10% of each quarterly payment is withheld and released when placements meet target.",) * 2),
    Column("problem", CONTRACT, True, _l('The problem to solve (at most %(LONG_TEXT)s characters).', LONG_TEXT=format(LONG_TEXT, ',')),
           ("People living outside in the east district are not connected to shelter or housing.",) * 2),
    Column("outcomes", CONTRACT, True, _l('The desired outcomes, the goals (at most %(LONG_TEXT)s characters).', LONG_TEXT=format(LONG_TEXT, ',')),
           ("More people move from the street into shelter and housing, and stay there.",) * 2),
    Column("priorities", CONTRACT, True,
           _l('The citywide priorities the contract serves, by name (ignoring case), separated by ; — at least one. The names are listed below.'),
           ("Reduce unsheltered homelessness 25% by 2027; Affordable housing: 5,000 homes by 2028",) * 2),
    Column("contract_manager", CONTRACT, False, _l('The email of an active contract manager.'),
           ("ben@demo.city", "ben@demo.city"), default=_l('not yet assigned')),
    Column("procurement_officer", CONTRACT, False, _l('The email of an active procurement officer.'), ("", ""),
           default=_l('the person importing')),
    Column("public", CONTRACT, False, _l('Publish as open data: yes or no.'), ("yes", "yes"), default=_l('yes')),
    # --- the metric (one per row; all blank for a contract without metrics) -----------------
    Column("metric_name", METRIC, True,
           _l("The key metric's name (at most %(name)s characters); unique within the contract.", name=max_length(Metric.name)),
           ("Placements into shelter or housing", "Median days from first contact to placement")),
    Column("metric_definition", METRIC, False, _l('What is counted and how.'),
           ("People contacted by outreach who move into shelter or housing in the month.",
            "Median days between first contact and placement, for people placed in the month.")),
    Column("metric_unit", METRIC, True, _l('For example count, percent or days (at most %(unit)s characters).', unit=max_length(Metric.unit)),
           ("count", "days")),
    Column("metric_direction", METRIC, True, _l('Which way is better.'), ("increase", "decrease"),
           choices=DIRECTIONS),
    Column("metric_baseline_value", METRIC, False,
           _l('A number, zero or more, at most 4 decimal places (a trailing % is ignored: 55% is 55).'), ("18", "64")),
    Column("metric_baseline_date", METRIC, False, _l('When the baseline was measured, as YYYY-MM-DD.'),
           ("2025-12-31", "2025-12-31")),
    Column("metric_target_value", METRIC, False,
           _l('The final target, reached by the end of the term. Required for increase, decrease and maintain; above the baseline for an increase, below it for a decrease.'), ("30", "40")),
    Column("metric_range_low", METRIC, False, _l('Range metrics only: the low bound (required for them).'), ("", "")),
    Column("metric_range_high", METRIC, False, _l('Range metrics only: the high bound (required for them).'), ("", "")),
    Column("metric_tolerance_pct", METRIC, False,
           _l('Maintain metrics only: how far from the target, in percent of it, still counts as on track (0–100).'),
           ("", ""), default=_l('5')),
    Column("metric_cadence", METRIC, True, _l('How often it is reported.'), ("monthly", "monthly"), choices=CADENCES),
    Column("metric_due_days", METRIC, False, _l('Days after a period ends when its data is due (0–366).'),
           ("10", "10"), default=_l('10')),
    Column("metric_on_track_pct", METRIC, False, _l('Attainment at or above this percent is on track.'), ("", ""),
           default=_l('100')),
    Column("metric_at_risk_pct", METRIC, False,
           _l('Attainment at or above this percent (and below on track) is at risk; not above the on-track threshold.'),
           ("", ""), default=_l('90')),
    Column("metric_data_source", METRIC, False, _l('Where the data comes from (at most %(data_source)s characters).', data_source=max_length(Metric.data_source)),
           ("HMIS placement report", "HMIS placement report")),
    Column("metric_indicator_type", METRIC, False, _l('Leading or lagging.'), ("lagging", "leading"),
           choices=INDICATOR_TYPES, default=_l('lagging')),
    Column("metric_payment_linked", METRIC, False, _l('Payments depend on this metric: yes or no.'), ("yes", "no"),
           default=_l('no')),
    Column("metric_public", METRIC, False,
           _l('Shown on the public site and in open data when the contract is public: yes or no.'), ("yes", "yes"),
           default=_l('yes')),
    Column("metric_period_targets", METRIC, False,
           _l('Explicit targets for some reporting periods, as YYYY-MM-DD=value separated by ; — each date the first day of a reporting period of the term. Other periods use the straight line from baseline to final target. Not for range metrics.'),
           ("2026-01-01=18; 2026-02-01=19", "")),
)

BY_NAME = {column.name: column for column in COLUMNS}
NAMES = tuple(BY_NAME)
CONTRACT_COLUMNS = tuple(c.name for c in COLUMNS if c.group == CONTRACT)
METRIC_COLUMNS = tuple(c.name for c in COLUMNS if c.group == METRIC)
REQUIRED_IN_HEADER = tuple(c.name for c in COLUMNS if c.in_header_required)

YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}


def normalise_header(text):
    """A header cell as a column name: case, surrounding spaces, and spaces or hyphens inside
    do not matter ("Start date" is start_date)."""
    text = (text or "").replace("\ufeff", "").strip().lower()
    return "_".join(text.replace("-", " ").split())


def choice_code(text, choices):
    """The code for ``text`` given as a code or a name, ignoring case; None if it is neither."""
    wanted = " ".join(text.split()).lower()
    for code, name in choices.items():
        if wanted in (code.lower(), name.lower()):
            return code
    return None


def column_letter(index):
    """The spreadsheet letter of a 0-based column index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def template_rows():
    """The header and the template's two example rows."""
    return [list(NAMES)] + [[c.examples[i] for c in COLUMNS] for i in (0, 1)]
