"""The public site's words for the tracker's codes, in the visitor's language.

Residents read plain language: a metric "at risk" (within 10% of target) is "slightly behind
target", an overdue reading is "data late". Each status also has a shape (``STATUS_ICONS``),
shown beside the words, so that no status is told by colour alone. Lazy strings: each is
translated when a page shows it, in that page's language.
"""
from contracts_app.i18n import lazy_gettext as _l

from contracts_app.metrics.rules import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK, OVERDUE

STATUS_ORDER = (ON_TRACK, AT_RISK, OFF_TRACK, OVERDUE, NO_DATA)

STATUS_WORDS = {
    ON_TRACK: _l("On track"),
    AT_RISK: _l("Slightly behind target"),
    OFF_TRACK: _l("Behind target"),
    OVERDUE: _l("Data late"),
    NO_DATA: _l("No data yet"),
}
# What each status means, for the legend on the pages.
STATUS_MEANINGS = {
    ON_TRACK: _l("The latest result meets its target."),
    AT_RISK: _l("The latest result is within a small margin of its target."),
    OFF_TRACK: _l("The latest result is below its target, or a milestone was missed."),
    OVERDUE: _l("The latest data should have been reported and has not been yet."),
    NO_DATA: _l("No results are due yet."),
}
# A shape per status (aria-hidden: the words beside it are what screen readers read).
STATUS_ICONS = {ON_TRACK: "✓", AT_RISK: "▲", OFF_TRACK: "✕", OVERDUE: "!", NO_DATA: "–"}

CONTRACT_STATUSES = {
    "draft": _l("Not started"),
    "active": _l("Active"),
    "completed": _l("Completed"),
    "terminated": _l("Ended early"),
}
KINDS = {
    "contract": _l("Contract"),
    "procurement": _l("Strategic procurement"),
    "grant": _l("Grant"),
}
PAYMENT_STRUCTURES = {
    "fixed_price": _l("Fixed price"),
    "cost_reimbursement": _l("Cost reimbursement"),
    "performance_based": _l("Performance-based incentives or penalties"),
    "milestone": _l("Milestone payments"),
    "pay_for_success": _l("Pay for success"),
    "grant": _l("Grant"),
}
# How each payment structure ties money to results, in a sentence for residents.
PAYMENT_EXPLAINED = {
    "fixed_price": _l("The vendor is paid an agreed price for the work."),
    "cost_reimbursement": _l("The city pays the vendor's actual costs, up to the budget."),
    "performance_based": _l("Part of the payment depends on the results: the vendor earns more when targets are met, or less when they are not."),
    "milestone": _l("The vendor is paid as agreed milestones are delivered."),
    "pay_for_success": _l("Part of the payment is made only if the outcomes are achieved, as checked by an evaluator."),
    "grant": _l("The city funds the organisation's work through a grant."),
}
MILESTONE_STATUSES = {
    "scheduled": _l("Scheduled"),
    "met": _l("Met"),
    "partially_met": _l("Partially met"),
    "not_met": _l("Not met"),
}
DIRECTIONS = {
    "increase": _l("Higher is better"),
    "decrease": _l("Lower is better"),
    "maintain": _l("Stay at the target"),
    "range": _l("Stay within the range"),
}
CADENCES = {
    "weekly": _l("Weekly"),
    "monthly": _l("Monthly"),
    "quarterly": _l("Quarterly"),
    "annually": _l("Yearly"),
}

# The published files of /public/data (publish.run.FILES), in the visitor's language.
FILE_TITLES = {
    "release-package.json": (_l("OCDS release package"),
                             _l("Open Contracting Data Standard 1.1 release package with the Metrics extension.")),
    "record-package.json": (_l("OCDS record package"),
                            _l("Each contracting process with its releases and its compiled release.")),
    "contracts.csv": (_l("Contracts"), _l("One row per public contract.")),
    "metrics.csv": (_l("Key metrics"), _l("One row per key metric of a public contract.")),
    "readings.csv": (_l("Readings"), _l("One row per reading of a key metric, by reporting period.")),
    "data.json": (_l("Data catalogue"), _l("DCAT-US (Project Open Data 1.1) catalogue of these files.")),
}
