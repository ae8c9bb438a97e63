"""The phase report for funders: a multi-page A4 PDF (reportlab, charts as matplotlib PNG)."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
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

from reports import charts, rules
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


def _table(t: DataTable, st: dict, widths: list[float] | None = None, limit: int = 40) -> Table:
    head = [Paragraph(escape(h), st["cell"]) for h in t.headers]
    body = []
    for row in t.rows[:limit] + ([t.total] if t.total and t.rows else []):
        body.append([Paragraph(escape(rules.fmt_cell(v, t.headers[i])), st["num"] if i in t.numeric
                               else st["cell"]) for i, v in enumerate(row)])
    if not t.rows:
        body.append([Paragraph("Aucune ligne sur la période.", st["cell"])] + [""] * (len(t.headers) - 1))
    table = Table([head] + body, colWidths=widths, repeatRows=1)
    style = TableStyle(GRID.getCommands())
    if t.total and t.rows:
        style.add("FONTNAME", (0, -1), (-1, -1), "DejaVu-Bold")
        style.add("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black)
    table.setStyle(style)
    return table


def _day(value: date | datetime) -> str:
    """A long French date ("1er septembre 2026"), as the pages write it."""
    from bottles.i18n import day

    return day(value, "long")


def _footer(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont("DejaVu", 7.5)
    canvas.setFillColor(colors.HexColor("#555555"))
    canvas.drawString(1.6 * cm, 1.0 * cm, doc.title)
    canvas.drawRightString(A4[0] - 1.6 * cm, 1.0 * cm, f"page {doc.page}")
    canvas.restoreState()


def phase_pdf(rep: Report, channel: str = "Filière de réemploi des bouteilles du Jura") -> bytes:
    """The report's pages: cover, indicators, charts, tables, parameters with their sources."""
    _fonts()
    st = _styles()
    phase = rep.phase
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=1.6 * cm, rightMargin=1.6 * cm,
                            topMargin=1.5 * cm, bottomMargin=1.7 * cm,
                            title=f"Boucle — {phase.name}", author="Boucle")
    v = rep.values
    per = rep.period
    title = "Bilan intermédiaire" if per.in_progress else "Bilan"
    story: list = [
        Spacer(1, 3 * cm),
        Paragraph(escape(channel), st["big"]),
        Paragraph(f"{title} de la {escape(phase.name)}", st["h1"]),
        Paragraph(f"Du {_day(phase.start_date)} au {_day(phase.end_date)} (heure de Paris)", st["big"]),
        Spacer(1, 0.3 * cm),
        Paragraph(f"<b>{escape(rules.period_sentence(per, _day))}</b>", st["body"]),
        Spacer(1, 0.6 * cm),
        Paragraph(escape(phase.description or ""), st["body"]),
        Spacer(1, 0.8 * cm),
    ]
    headline = [["Bouteilles collectées", rules.fmt_value("count", v["bottles_collected"])],
                ["Bouteilles revendues", rules.fmt_value("count", v["bottles_sold"])],
                ["Rendement global", rules.fmt_value("ratio", v["collected_to_reused"])],
                ["Rendement de lavage", rules.fmt_value("ratio", v["wash_yield"])],
                ["CO₂ évité", rules.fmt_value("kg", v["co2_avoided_kg"]) + " kg"],
                ["Coût par bouteille propre", rules.fmt_value("eur", v["cost_per_clean_bottle_eur"])]]
    cover = Table(headline, colWidths=[8 * cm, 5 * cm])
    cover.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "DejaVu"),
                               ("FONTSIZE", (0, 0), (-1, -1), 12),
                               ("FONTNAME", (1, 0), (1, -1), "DejaVu-Bold"),
                               ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                               ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.grey),
                               ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    story += [cover, Spacer(1, 1.5 * cm),
              Paragraph(f"Rapport établi le {_day(datetime.now(rules.PARIS))} à "
                        f"{datetime.now(rules.PARIS):%H h %M} à partir du "
                        "journal des mouvements. Les événements corrigés et leurs corrections sont "
                        "exclus des indicateurs.", st["small"]),
              PageBreak()]

    story.append(Paragraph("Indicateurs", st["h2"]))
    ind_table = rep.table("indicateurs")
    rows = [[Paragraph(h, st["cell"]) for h in
             ("Indicateur", "Valeur", "Objectif", escape(rep.previous_name or "Phase précédente"),
              "Référence")]]
    for key, label, value, target, _mark, prev, ref in ind_table.rows:
        kind = rules.BY_KEY[key].kind
        status = rep.targets.get(key)
        shown_target = "—" if target is None else rules.fmt_value(kind, target)
        if status:
            shown_target += f"<br/><font size=7>{escape(status.mark)}</font>"
        rows.append([Paragraph(escape(label), st["cell"]), rules.fmt_value(kind, value),
                     Paragraph(shown_target, st["num"]),
                     rules.fmt_value(kind, prev) if rep.previous else "—",
                     rules.fmt_value(kind, ref) if ref is not None else "—"])
    table = Table(rows, colWidths=[6.6 * cm, 2.6 * cm, 2.4 * cm, 3.0 * cm, 2.4 * cm], repeatRows=1)
    style = TableStyle(GRID.getCommands())
    style.add("ALIGN", (1, 1), (-1, -1), "RIGHT")
    table.setStyle(style)
    paces = [f"{rules.label(k, per)} : {s.mark} — {s.text}." for k, s in rep.targets.items()
             if s.state in ("ahead", "behind")]
    if paces:
        story += [table, Spacer(1, 0.3 * cm),
                  Paragraph("Objectifs de la phase entière, suivis au rythme atteint : "
                            + " ".join(escape(p) for p in paces), st["small"])]
        table = Spacer(1, 0)
    story += [table, Spacer(1, 0.3 * cm),
              Paragraph("Références : " + " · ".join(f"{rules.BY_KEY[k].label} — {escape(src)}"
                                                     for k, (_v, src) in rules.REFERENCES.items()),
                        st["small"]),
              PageBreak()]

    refusals = [(rep.reason_labels.get(c, c), q) for c, q in
                sorted((v["refused_by_reason"] or {}).items(), key=lambda kv: -kv[1])]
    story += [Paragraph("Où se perdent les bouteilles", st["h2"]), _png(charts.funnel(rep.funnel)),
              Spacer(1, 0.3 * cm), _png(charts.hbars(refusals, "Écarts au tri par motif"), 15)]
    story += [PageBreak(), Paragraph("Collecte et lavage", st["h2"]),
              _png(charts.monthly_by_territory(rep.by_territory)), Spacer(1, 0.3 * cm),
              _png(charts.wash(rep.wash, rep.reason_labels))]
    stock_title = (f"Âge du stock propre au {_day(per.until + timedelta(days=1))}" if per.in_progress
                   else "Âge du stock propre en fin de phase")
    story += [PageBreak(), Paragraph("Stock propre et parc de caisses", st["h2"]),
              Paragraph(f"{escape(rules.label('clean_stock_end', per))} : "
                        f"{rules.fmt_value('count', v['clean_stock_end'])} bouteilles.", st["body"]),
              _png(charts.hbars(list(rep.stock_age.items()), stock_title,
                                "Bouteilles (plus anciennes vendues d'abord)"), 15),
              Spacer(1, 0.3 * cm),
              _png(charts.hbars([(r[0], r[1]) for r in rep.table("caisses").rows], "Parc de caisses",
                                "Caisses"), 15)]
    story += [PageBreak(), Paragraph("Tableaux", st["h2"])]
    for name, widths in (("points", [2.7, 4.1, 2.9, 1.9, 1.8, 2.2, 2.0]),
                         ("vignerons", [2.7, 4.8, 2.3, 2.4, 2.4, 2.4]),
                         ("refus", [3.5, 7.5, 3, 2.8]), ("rebuts", [3.5, 7.5, 3, 2.8]),
                         ("etiquettes", [2.8, 9.7, 4.3])):
        t = rep.table(name)
        suffix = f" ({len(t.rows)} lignes, les {LIMIT} premières ; toutes dans les exports CSV et XLSX)" \
            if len(t.rows) > LIMIT else ""
        title = Paragraph(f"<b>{escape(t.title)}</b>{suffix}", st["body"])
        table = _table(t, st, [w * cm for w in widths], LIMIT)
        story += [KeepTogether([title, table]) if len(t.rows) < 15 else title, *([] if len(t.rows) < 15
                                                                               else [table]),
                  Spacer(1, 0.4 * cm)]
    story += [PageBreak(), Paragraph("Paramètres et sources", st["h2"])]
    params = rep.table("parametres")
    rows = [["Paramètre", "Valeur", "Source"]]
    for _key, label, value, unit, source in params.rows:
        shown = "non renseigné" if value is None else f"{rules.fmt_cell(float(value))} {unit}"
        rows.append([Paragraph(escape(label), st["cell"]), Paragraph(escape(shown), st["num"]),
                     Paragraph(escape(source), st["cell"])])
    table = Table(rows, colWidths=[5 * cm, 3 * cm, 9 * cm], repeatRows=1)
    table.setStyle(GRID)
    story += [table, Spacer(1, 0.5 * cm),
              Paragraph("Coûts fixes : un montant annuel, compté au prorata des jours couverts. "
                        "Une phase court du premier jour 00 h 00 "
                        "au lendemain du dernier jour 00 h 00, heure de Paris.", st["small"])]
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return out.getvalue()
