"""The certification evidence packet: the ZIP's files, the PDF renders, each CSV's counts are the
page's figures, criteria are picked up from CRITERIA, and only the CDO and admins download it."""
import csv
import io
import zipfile
from datetime import date

import pytest

from contracts_app.portfolio.evidence import CRITERIA, PACKET_CODES, codes_of, evidence_figures
from contracts_app.portfolio.packet import build_packet
from tests.querycount import count_queries

TODAY = date(2026, 1, 20)


@pytest.fixture
def city(factory):
    priority = factory.make_priority()
    factory.make_metric(factory.make_contract(priorities=[priority], is_public=True))
    factory.make_metric(factory.make_contract(payment_structure="fixed_price", is_public=False))
    factory.make_contract(problem=" ")
    factory.make_contract(status="completed")


def _read(packet):
    archive = zipfile.ZipFile(io.BytesIO(packet))
    return archive, {name: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
                     for name in archive.namelist() if name.endswith(".csv")}


def test_the_zip_holds_the_report_the_pdf_and_a_csv_per_criterion(app, city):
    archive, _ = _read(build_packet(TODAY))
    assert archive.namelist() == ["report.html", "report.pdf", *[f"{code}.csv" for code in PACKET_CODES]]
    assert {"RDC1.csv", "RDC8.csv", "PA1.csv", "PA3.csv", "LC7.csv"} <= set(archive.namelist())


def test_the_pdf_renders_with_its_text(app, city):
    archive, _ = _read(build_packet(TODAY))
    pdf = archive.read("report.pdf")
    assert pdf.startswith(b"%PDF")
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 0
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Certification evidence" in text and "RDC4" in text


def test_the_html_report_is_self_contained_and_has_the_page_figures(app, city):
    archive, _ = _read(build_packet(TODAY))
    html = archive.read("report.html").decode()
    assert '<html lang="en">' in html and "<caption>" in html and 'scope="col"' in html
    assert "http://" not in html and "https://" not in html and "<link" not in html and "<script" not in html
    figures, _public, _quarters = evidence_figures(TODAY)
    for figure in figures.values():
        assert f"{figure.numerator} of {figure.denominator}" in html


def test_each_csv_counts_what_the_page_counts(app, city):
    _, files = _read(build_packet(TODAY))
    figures, _public, _quarters = evidence_figures(TODAY)
    for key, figure in figures.items():
        for code in codes_of(key):
            rows = [row for row in files[f"{code}.csv"] if row["figure"] == CRITERIA[key]["title"]]
            assert len(rows) == figure.denominator, (code, key)
            assert sum(row["meets_it"] == "yes" for row in rows) == figure.numerator, (code, key)
            assert {row["produced_on"] for row in rows} <= {TODAY.isoformat()}
    assert figures["goals_metrics"].denominator == 3  # the completed contract is not strategic


def test_the_lead_is_in_the_packet(app, city):
    app.config["RDC_LEAD"] = "Priya Shah, Chief Data Officer"
    archive, files = _read(build_packet(TODAY))
    (lead,) = files["LC7.csv"]
    assert (lead["title"], lead["meets_it"]) == ("Priya Shah", "yes") and "Chief Data Officer" in lead["detail"]
    assert "Priya Shah" in archive.read("report.html").decode()


@pytest.fixture
def eval4(monkeypatch):
    """A criterion the packet covers that no figure evidences (What Works Cities' EVAL4)."""
    from contracts_app.portfolio import packet

    monkeypatch.setattr(packet, "PACKET_CODES", (*PACKET_CODES, "EVAL4"))
    return "EVAL4"


def test_every_criterion_of_the_packet_has_a_figure_now(app, city):
    _, files = _read(build_packet(TODAY))
    for code in PACKET_CODES:
        assert not any("No figure" in row["detail"] for row in files[f"{code}.csv"]), code


def test_a_criterion_with_no_figure_says_so(app, city, eval4):
    archive, files = _read(build_packet(TODAY))
    (row,) = files["EVAL4.csv"]
    assert "No figure" in row["detail"]
    assert "No figure of this tracker evidences EVAL4 yet" in archive.read("report.html").decode()


def test_a_criterion_added_to_the_page_is_picked_up(app, city, eval4, monkeypatch):
    monkeypatch.setitem(CRITERIA, "open_data", dict(CRITERIA["open_data"], codes="RDC7 / PA3 / EVAL4"))
    _, files = _read(build_packet(TODAY))
    figures, _public, _quarters = evidence_figures(TODAY)
    assert len(files["EVAL4.csv"]) == figures["open_data"].denominator == 3


def test_the_packet_reads_the_same_number_of_queries_for_more_contracts(app, factory, city):
    with count_queries() as few:
        build_packet(TODAY)
    for _ in range(5):
        factory.make_metric(factory.make_contract(priorities=[factory.make_priority()]))
    with count_queries() as more:
        build_packet(TODAY)
    assert more.count == few.count


@pytest.mark.parametrize("role, status", [
    ("cdo", 200), ("admin", 200), ("procurement_officer", 403), ("contract_manager", 403), ("viewer", 403),
])
def test_only_the_cdo_and_admins_download_it(client_as, city, role, status):
    response = client_as(role).get("/portfolio/evidence/packet.zip")
    assert response.status_code == status
    page = client_as(role).get("/portfolio/evidence").get_data(as_text=True)
    assert ("packet.zip" in page) == (status == 200)
    if status == 200:
        assert response.content_type == "application/zip"
        assert "attachment" in response.headers["Content-Disposition"]


def test_the_evidence_page_counts_decisions_made_with_the_summary(app, client_as):
    page = client_as("cdo").get("/portfolio/evidence").get_data(as_text=True)
    assert "RDC6: Renewal decisions informed by performance" in page


def test_without_the_pdf_libraries_the_packet_still_has_the_report_and_says_why_no_pdf(app, city, monkeypatch):
    import sys

    # As on a server without Pango: importing WeasyPrint fails (None in sys.modules raises ImportError).
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    archive, tables = _read(build_packet(TODAY))
    assert "report.pdf" not in archive.namelist()
    assert archive.namelist()[:2] == ["report.html", "report-pdf-missing.txt"]
    assert "apt-get install libpango-1.0-0" in archive.read("report-pdf-missing.txt").decode()
    assert set(tables) == {f"{code}.csv" for code in PACKET_CODES}
