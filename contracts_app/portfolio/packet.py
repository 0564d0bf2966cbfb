"""The certification evidence packet: a ZIP of the evidence page's report as accessible HTML, the
same report as a (tagged) PDF, and a CSV per criterion (PACKET_CODES) listing the contracts,
vendors or decisions behind each of its figures, with the date the packet was produced.

Everything is built from ``evidence.CRITERIA`` and ``evidence_figures``, the page's own data: a
figure added there is in the report and in the CSV of each code it names. The packet reads a
fixed number of queries per figure (its rows, met and not met), whatever the number of contracts.
Nothing loads from another host: the report's styles are inline and WeasyPrint uses the
machine's fonts (fontconfig), fetching no URL.
"""
from __future__ import annotations

import csv
import io
import zipfile

from flask import current_app, render_template

from contracts_app.portfolio.evidence import (
    CRITERIA, PACKET_CODES, QUARTERS, codes_of, evidence_figures, rdc_lead, rows_for, rows_kind,
)

CSV_COLUMNS = ["criterion", "figure", "meets_it", "reference", "title", "vendor", "department", "health", "detail",
               "produced_on"]


def packet_name(today):
    return f"certification-evidence-{today.isoformat()}.zip"


def report_html(today, figures=None, quarters=None):
    """The report as one self-contained HTML document (inline styles, no external resource)."""
    if figures is None:
        figures, _public, quarters = evidence_figures(today)
    without = [code for code, keys in figures_by_code(figures).items() if not keys and code != "LC7"]
    return render_template(
        "portfolio/packet_report.html", figures=figures, quarters=quarters, today=today, lead=rdc_lead(),
        codes=PACKET_CODES, codes_of=codes_of, city_name=current_app.config["CITY_NAME"], without=without,
    )


PDF_MISSING = (
    "The PDF copy of this report could not be made on this server: WeasyPrint needs the Pango and\n"
    "HarfBuzz libraries and a font (on Debian 12: apt-get install libpango-1.0-0 libpangoft2-1.0-0\n"
    "libharfbuzz-subset0 fonts-dejavu-core). report.html holds the same report; print it to PDF\n"
    "from a browser, or ask the server's administrator to install them.\n\nThe error: {error}\n"
)


def report_pdf(html):
    """The report as a tagged PDF (WeasyPrint; ``pdf_tags`` gives it a structure screen readers use),
    or raises PdfUnavailable when the system libraries WeasyPrint loads are missing."""
    try:
        from weasyprint import HTML  # imported here: loading Pango takes a moment, and only the packet needs it
    except (ImportError, OSError) as error:
        raise PdfUnavailable(str(error)) from error
    return HTML(string=html, base_url=None).write_pdf(pdf_tags=True)


class PdfUnavailable(Exception):
    """WeasyPrint cannot load its system libraries (Pango) on this server."""


def _contract_detail(key, row, quarter_count):
    contract = row.contract
    if key in ("goals_metrics", "priorities_metrics"):
        goals = "goals defined" if row.has_goals else "goals missing"
        if key == "priorities_metrics":
            names = ", ".join(p.name for p in contract.priorities) or "no priority"
            return f"{names}; {row.metrics} metrics"
        return f"{goals}; {row.metrics} metrics"
    if key == "results_payment":
        return contract.payment_structure_label
    if key == "quarterly_checkins":
        held = row.last_held.isoformat() if row.last_held else "none held"
        return f"{row.quarters} of {quarter_count} quarters with a check-in; last held {held}"
    if key == "open_data":
        return "published" if contract.is_public else "not public"
    return ""


def figure_rows(key, today):
    """The CSV rows behind one figure (without the criterion column): met first, then the others."""
    title = CRITERIA[key]["title"]
    rows = []
    for met in (True, False):
        contracts, vendors, decisions = rows_for(key, met, today)
        meets = "yes" if met else "no"
        kind = rows_kind(key)
        if kind == "vendors":
            for v in vendors:
                rating = "" if v.rating is None else f"{float(v.rating):.1f} / 5"
                rows.append([title, meets, "", v.vendor.name, v.vendor.name, "", "",
                             f"{v.completed} completed contracts; {v.evaluations} closeout evaluations; rating {rating or 'none'}"])
        elif kind == "decisions":
            for task, decision, contract in decisions:
                point = "end of term" if task.point == "end" else f"option: {task.option.description if task.option else ''}"
                if decision is None:
                    what = "not decided"
                else:
                    what = (f"{decision.choice_label} on {decision.decided_at.date().isoformat()}; "
                            f"{'with' if decision.summary_shown else 'without'} the performance summary")
                rows.append([title, meets, contract.reference, contract.title, contract.vendor.name, contract.department,
                             contract.health, f"{point}, {task.decision_date.isoformat()}; {what}"])
        else:
            for row in contracts:
                c = row.contract
                rows.append([title, meets, c.reference, c.title, c.vendor.name, c.department, c.health,
                             _contract_detail(key, row, QUARTERS)])
    return rows


def criterion_csv(code, figure_keys, today, lead):
    """One criterion's CSV text: the rows behind each figure naming ``code``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    produced = today.isoformat()
    if code == "LC7":
        name, title = lead or ("", "")
        detail = "the designated results-driven contracting lead" if lead else "no lead designated (set RDC_LEAD)"
        writer.writerow([code, "Results-driven contracting lead", "yes" if lead else "no", "", name, "", "", "",
                         f"{detail}{': ' + title if title else ''}", produced])
    for key in figure_keys:
        for row in figure_rows(key, today):
            writer.writerow([code, *row, produced])
    if not figure_keys and code != "LC7":
        writer.writerow([code, "", "", "", "", "", "", "",
                         "No figure of this tracker evidences this criterion yet.", produced])
    return out.getvalue()


def figures_by_code(figures):
    """{code: [figure keys naming it]} for every code of the packet and of the figures."""
    by_code = {code: [] for code in PACKET_CODES}
    for key in figures:
        for code in codes_of(key):
            by_code.setdefault(code, []).append(key)
    return by_code


def build_packet(today):
    """The packet's bytes (a ZIP): report.html, report.pdf and <code>.csv per criterion."""
    figures, _public, quarters = evidence_figures(today)
    html = report_html(today, figures, quarters)
    lead = rdc_lead()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.html", html)
        try:
            archive.writestr("report.pdf", report_pdf(html))
        except PdfUnavailable as error:
            # Still the report and every CSV, and a note saying why the PDF is not there.
            current_app.logger.error("Evidence packet without its PDF: %s", error)
            archive.writestr("report-pdf-missing.txt", PDF_MISSING.format(error=error))
        for code, keys in figures_by_code(figures).items():
            # A byte-order mark, so that spreadsheet programs read the CSV as UTF-8.
            archive.writestr(f"{code}.csv", "\ufeff" + criterion_csv(code, keys, today, lead))
    return buffer.getvalue()
