"""The phase report for funders: a multi-page A4 PDF (reportlab, charts as matplotlib PNG), in the language
of the page that asked for it (French from the command line)."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
from flask_babel import format_time, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from bottles.rules import PARIS
from bottles.spreadsheet import CODE, TEXT
from reports import charts
from reports.charts import phase_chart
from reports.french import fmt_cell, fmt_value, french
from reports.indicators import BY_KEY, REFERENCES, label
from reports.period import period_sentence
from reports.report import Report
from reports.report import Table as DataTable

LIMIT = 25
_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_registered = False


def _fonts() -> None:
    """DejaVu (shipped with matplotlib) covers →, ₂, € and the French accents."""
    global _registered
    if not _registered:
        pdfmetrics.registerFont(TTFont("DejaVu", str(_FONTS / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(_FONTS / "DejaVuSans-Bold.ttf")))
        pdfmetrics.registerFontFamily("DejaVu", normal="DejaVu", bold="DejaVu-Bold")
        _registered = True


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName="DejaVu", fontSize=9.5, leading=13)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10),
        "num": ParagraphStyle("num", parent=body, fontSize=8, leading=10, alignment=TA_RIGHT),
        "h1": ParagraphStyle("h1", parent=body, fontName="DejaVu-Bold", fontSize=22, leading=27,
                             spaceAfter=10),
        "h2": ParagraphStyle("h2", parent=body, fontName="DejaVu-Bold", fontSize=14, leading=18,
                             spaceBefore=8, spaceAfter=6),
        "big": ParagraphStyle("big", parent=body, fontSize=12, leading=16),
    }


def _png(fig, width_cm: float = 17.0) -> Image:
    data = charts.to_png(fig, dpi=150)
    image = Image(io.BytesIO(data))
    ratio = image.imageHeight / image.imageWidth
    image.drawWidth, image.drawHeight = width_cm * cm, width_cm * cm * ratio
    return image


GRID = TableStyle([
    ("FONTNAME", (0, 0), (-1, -1), "DejaVu"), ("FONTSIZE", (0, 0), (-1, -1), 8),
    ("FONTNAME", (0, 0), (-1, 0), "DejaVu-Bold"),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e5de")),
    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
    ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
])


CELL_PADDING = 12  # reportlab's default left + right padding of a table cell, in points
MIN_CODE_SIZE, MIN_TEXT_WIDTH = 5.5, 2.2 * cm


def fit_codes(data: DataTable, rows: list[list], styles: dict,
              widths: list[float] | None) -> tuple[list[float] | None, dict[int, ParagraphStyle]]:
    """Widths and styles that keep every code of the table on one line: a code column grows as wide as
    its longest code, taken from the widest text column (never below MIN_TEXT_WIDTH); a code still too
    long gets a smaller font. A code is never split (splitLongWords=0), whatever its length."""
    cell = styles["cell"]
    code_columns = [i for i, unit in enumerate(data.units) if unit == CODE]
    if widths is None or not code_columns:
        return widths, {}
    widths = list(widths)
    fitted: dict[int, ParagraphStyle] = {}
    for column in code_columns:
        longest = max((stringWidth(str(row[column]), cell.fontName, cell.fontSize)
                       for row in rows if column < len(row) and row[column] is not None), default=0.0)
        needed = longest + CELL_PADDING + 1
        texts = [i for i, unit in enumerate(data.units) if unit == TEXT and i < len(widths)]
        if needed > widths[column] and texts:
            donor = max(texts, key=lambda i: widths[i])
            taken = min(needed - widths[column], max(0.0, widths[donor] - MIN_TEXT_WIDTH))
            widths[donor] -= taken
            widths[column] += taken
        size = cell.fontSize
        if longest and needed > widths[column]:
            size = max(MIN_CODE_SIZE, cell.fontSize * (widths[column] - CELL_PADDING - 1) / longest)
        fitted[column] = ParagraphStyle(f"code{column}", parent=cell, splitLongWords=0, fontSize=size,
                                        leading=cell.leading if size == cell.fontSize else size + 2)
    return widths, fitted


def _table(data: DataTable, styles: dict, widths: list[float] | None = None, limit: int = 40) -> Table:
    """A data table as a reportlab Table: cells in the person's language, numbers right-aligned, codes
    whole on one line, the total in bold."""
    head = [Paragraph(escape(str(header)), styles["cell"]) for header in data.headers]
    shown = data.rows[:limit] + ([data.total] if data.total and data.rows else [])
    widths, code_styles = fit_codes(data, data.rows[:limit], styles, widths)
    body = []
    for row in shown:
        body.append([Paragraph(escape(fmt_cell(value, data.headers[i])),
                               code_styles.get(i) or (styles["num"] if i in data.numeric else styles["cell"]))
                     for i, value in enumerate(row)])
    if not data.rows:
        body.append([Paragraph(_("Aucune ligne sur la période."), styles["cell"])]
                    + [""] * (len(data.headers) - 1))
    table = Table([head] + body, colWidths=widths, repeatRows=1)
    style = TableStyle(GRID.getCommands())
    if data.total and data.rows:
        style.add("FONTNAME", (0, -1), (-1, -1), "DejaVu-Bold")
        style.add("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black)
    table.setStyle(style)
    return table


def _day(value: date | datetime) -> str:
    """A long date as the pages write it: "1er septembre 2026", "September 1, 2026"."""
    from bottles.i18n import day

    return day(value, "long")


def _time(value: datetime) -> str:
    """A time of day: "14 h 05" in French, as ever; Babel's short time in English ("2:05 PM")."""
    if french():
        return f"{value:%H h %M}"
    return format_time(value, "short")


def _footer(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont("DejaVu", 7.5)
    canvas.setFillColor(colors.HexColor("#555555"))
    canvas.drawString(1.6 * cm, 1.0 * cm, doc.title)
    canvas.drawRightString(A4[0] - 1.6 * cm, 1.0 * cm, _("page %(num)s", num=doc.page))
    canvas.restoreState()


def cover_page(report: Report, styles: dict, channel: str) -> list:
    """The title, what the figures cover, the phase's model and six key figures."""
    phase, values, covered = report.phase, report.values, report.period
    title = (_("Bilan intermédiaire de la %(phase)s", phase=escape(phase.name)) if covered.in_progress
             else _("Bilan de la %(phase)s", phase=escape(phase.name)))
    key_figures = [[_("Bouteilles collectées"), fmt_value("count", values["bottles_collected"])],
                   [_("Bouteilles revendues"), fmt_value("count", values["bottles_sold"])],
                   [_("Rendement global"), fmt_value("ratio", values["collected_to_reused"])],
                   [_("Rendement de lavage"), fmt_value("ratio", values["wash_yield"])],
                   [_("CO₂ évité"), fmt_value("kg", values["co2_avoided_kg"]) + " kg"],
                   [_("Coût par bouteille propre"), fmt_value("eur", values["cost_per_clean_bottle_eur"])]]
    figures = Table(key_figures, colWidths=[8 * cm, 5 * cm])
    figures.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "DejaVu"),
                                 ("FONTSIZE", (0, 0), (-1, -1), 12),
                                 ("FONTNAME", (1, 0), (1, -1), "DejaVu-Bold"),
                                 ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                                 ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.grey),
                                 ("TOPPADDING", (0, 0), (-1, -1), 6),
                                 ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    made_at = datetime.now(PARIS)
    return [
        Spacer(1, 3 * cm),
        Paragraph(escape(str(channel)), styles["big"]),
        Paragraph(title, styles["h1"]),
        Paragraph(_("Du %(first)s au %(last)s (heure de Paris)", first=_day(phase.start_date),
                    last=_day(phase.end_date)), styles["big"]),
        Spacer(1, 0.3 * cm),
        Paragraph(f"<b>{escape(period_sentence(covered, _day))}</b>", styles["body"]),
        Spacer(1, 0.6 * cm),
        Paragraph(escape(phase.description or ""), styles["body"]),
        Spacer(1, 0.8 * cm),
        figures, Spacer(1, 1.5 * cm),
        Paragraph(_("Rapport établi le %(day)s à %(time)s à partir du journal des mouvements. Les "
                    "événements corrigés et leurs corrections sont exclus des indicateurs.",
                    day=_day(made_at), time=_time(made_at)), styles["small"]),
        PageBreak(),
    ]


def indicators_page(report: Report, styles: dict) -> list:
    """Every indicator against its target, the previous phase and the reference, then the sources."""
    rows = [[Paragraph(header, styles["cell"]) for header in
             (_("Indicateur"), _("Valeur"), _("Objectif"),
              escape(report.previous_name or _("Phase précédente")), _("Référence"))]]
    for key, shown_label, value, target, _mark, previous, reference in report.table("indicateurs").rows:
        kind = BY_KEY[key].kind
        status = report.targets.get(key)
        shown_target = "—" if target is None else fmt_value(kind, target)
        if status:
            shown_target += f"<br/><font size=7>{escape(str(status.mark))}</font>"
        rows.append([Paragraph(escape(str(shown_label)), styles["cell"]), fmt_value(kind, value),
                     Paragraph(shown_target, styles["num"]),
                     fmt_value(kind, previous) if report.previous else "—",
                     fmt_value(kind, reference) if reference is not None else "—"])
    table = Table(rows, colWidths=[6.6 * cm, 2.6 * cm, 2.4 * cm, 3.0 * cm, 2.4 * cm], repeatRows=1)
    style = TableStyle(GRID.getCommands())
    style.add("ALIGN", (1, 1), (-1, -1), "RIGHT")
    table.setStyle(style)
    story: list = [Paragraph(_("Indicateurs"), styles["h2"]), table, Spacer(1, 0.3 * cm)]
    paces = [_("%(label)s : %(mark)s — %(text)s.", label=label(key, report.period), mark=status.mark,
               text=status.text)
             for key, status in report.targets.items() if status.state in ("ahead", "behind")]
    if paces:
        story += [Paragraph(_("Objectifs de la phase entière, suivis au rythme atteint : %(paces)s",
                              paces=" ".join(escape(pace) for pace in paces)), styles["small"]),
                  Spacer(1, 0), Spacer(1, 0.3 * cm)]
    references = " · ".join(f"{escape(str(BY_KEY[key].label))} — {escape(str(source))}"
                            for key, (_value, source) in REFERENCES.items())
    story += [Paragraph(_("Références : %(references)s", references=references), styles["small"]),
              PageBreak()]
    return story


def charts_pages(report: Report, styles: dict) -> list:
    """Where bottles are lost, collection and washing by month, clean stock age and the crate fleet."""
    count = report.values["clean_stock_end"] or 0
    stock = ngettext("%(label)s : %(bottles)s bouteille.", "%(label)s : %(bottles)s bouteilles.", count,
                     label=escape(str(label("clean_stock_end", report.period))),
                     bottles=fmt_value("count", report.values["clean_stock_end"]))
    return [
        Paragraph(_("Où se perdent les bouteilles"), styles["h2"]), _png(phase_chart(report, "entonnoir")),
        Spacer(1, 0.3 * cm), _png(phase_chart(report, "ecarts"), 15),
        PageBreak(), Paragraph(_("Collecte et lavage"), styles["h2"]),
        _png(phase_chart(report, "territoires")), Spacer(1, 0.3 * cm), _png(phase_chart(report, "lavage")),
        PageBreak(), Paragraph(_("Stock propre et parc de caisses"), styles["h2"]),
        Paragraph(stock, styles["body"]), _png(phase_chart(report, "age-stock"), 15),
        Spacer(1, 0.3 * cm), _png(phase_chart(report, "caisses"), 15),
    ]


TABLE_WIDTHS_CM = {"points": [2.7, 4.1, 2.9, 1.9, 1.8, 2.2, 2.0], "vignerons": [2.7, 4.8, 2.3, 2.4, 2.4, 2.4],
                   "refus": [3.5, 7.5, 3, 2.8], "rebuts": [3.5, 7.5, 3, 2.8], "etiquettes": [2.8, 9.7, 4.3]}


def tables_page(report: Report, styles: dict) -> list:
    """The points, estates, refusals, rejects and permanent labels, each cut at LIMIT rows."""
    story: list = [PageBreak(), Paragraph(_("Tableaux"), styles["h2"])]
    for name, widths in TABLE_WIDTHS_CM.items():
        data = report.table(name)
        suffix = _(" (%(rows)s lignes, les %(limit)s premières ; toutes dans les exports CSV et XLSX)",
                   rows=len(data.rows), limit=LIMIT) if len(data.rows) > LIMIT else ""
        title = Paragraph(f"<b>{escape(str(data.title))}</b>{suffix}", styles["body"])
        table = _table(data, styles, [width * cm for width in widths], LIMIT)
        short = len(data.rows) < 15  # a short table stays on the page of its title
        story += [KeepTogether([title, table])] if short else [title, table]
        story.append(Spacer(1, 0.4 * cm))
    return story


def parameters_page(report: Report, styles: dict) -> list:
    """Each parameter's value and source, and how the phase's window and fixed costs are counted."""
    rows = [[_("Paramètre"), _("Valeur"), _("Source")]]
    for _key, param_label, value, unit, source in report.table("parametres").rows:
        shown = _("non renseigné") if value is None else fmt_value("eur", float(value)) if unit == "€" \
            else f"{fmt_cell(float(value))} {unit}"
        rows.append([Paragraph(escape(str(param_label)), styles["cell"]),
                     Paragraph(escape(shown), styles["num"]), Paragraph(escape(str(source)), styles["cell"])])
    table = Table(rows, colWidths=[5 * cm, 3 * cm, 9 * cm], repeatRows=1)
    table.setStyle(GRID)
    return [PageBreak(), Paragraph(_("Paramètres et sources"), styles["h2"]), table, Spacer(1, 0.5 * cm),
            Paragraph(_("Coûts fixes : un montant annuel, compté au prorata des jours couverts. Une phase "
                        "court du premier jour 00 h 00 au lendemain du dernier jour 00 h 00, heure de "
                        "Paris."), styles["small"])]


CHANNEL = _l("Filière de réemploi des bouteilles du Jura")


def phase_pdf(report: Report, channel: str = CHANNEL) -> bytes:
    """The report's pages: cover, indicators, charts, tables, parameters with their sources."""
    _fonts()
    styles = _styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=1.6 * cm, rightMargin=1.6 * cm,
                            topMargin=1.5 * cm, bottomMargin=1.7 * cm,
                            title=f"Boucle — {report.phase.name}", author="Boucle")
    story = (cover_page(report, styles, channel) + indicators_page(report, styles)
             + charts_pages(report, styles) + tables_page(report, styles) + parameters_page(report, styles))
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return out.getvalue()
