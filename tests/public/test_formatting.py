"""Period labels on the public pages, in English and Spanish."""
from datetime import date

import pytest
from flask_babel import force_locale

from contracts_app.public.formatting import period


@pytest.mark.parametrize("start, cadence, english, spanish", [
    (date(2026, 7, 1), "monthly", "Jul 2026", "jul 2026"),
    (date(2026, 7, 1), "quarterly", "Q3 2026", "T3 2026"),
    (date(2026, 1, 1), "annually", "2026", "2026"),
    # Off the calendar: a term that starts in June has quarters Jun-Aug, Sep-Nov, Dec-Feb.
    (date(2026, 6, 1), "quarterly", "Jun 2026 – Aug 2026", "jun 2026 – ago 2026"),
    (date(2025, 12, 1), "quarterly", "Dec 2025 – Feb 2026", "dic 2025 – feb 2026"),
    (date(2025, 6, 1), "annually", "Jun 2025 – May 2026", "jun 2025 – may 2026"),
])
def test_period_labels(app, start, cadence, english, spanish):
    with app.test_request_context("/public"):
        with force_locale("en"):
            assert period(start, cadence) == english
        with force_locale("es"):
            assert period(start, cadence) == spanish


def test_a_period_off_the_first_of_a_month_is_named_by_its_first_day(app):
    with app.test_request_context("/public"):
        with force_locale("en"):
            assert period(date(2026, 1, 15), "quarterly") == "Period from Jan 15, 2026"
