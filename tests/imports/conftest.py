"""Fixtures for the CSV import: the city the template's example rows refer to, and CSV builders."""
import csv
import io

import pytest

from contracts_app.imports.columns import NAMES, template_rows

PRIORITIES = ("Reduce unsheltered homelessness 25% by 2027", "Affordable housing: 5,000 homes by 2028")


@pytest.fixture
def import_city(factory, users):
    """The priorities and the contract manager (ben@demo.city) named by the template's rows."""
    factory.make_user("contract_manager", email="ben@demo.city", name="Ben Okafor")
    for name in PRIORITIES:
        factory.make_priority(name=name)
    return users


def example(index=0, **changes):
    """One of the template's example rows as {column: value}, with ``changes``."""
    values = dict(zip(NAMES, template_rows()[1 + index]))
    values.update(changes)
    return values


def contract_only(**changes):
    """A row for a contract with no metrics."""
    values = {name: value for name, value in example().items() if not name.startswith("metric_")}
    values.update(changes)
    return values


def to_csv(rows, columns=None, delimiter=","):
    """CSV text (CRLF line ends, as Excel writes them) with ``columns`` as the header."""
    columns = list(columns or NAMES)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(name, "") for name in columns] if isinstance(row, dict) else row)
    return buffer.getvalue()


def upload(client, data, filename="contracts.csv"):
    """POST a file to the upload page."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return client.post(
        "/imports/contracts", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )
