"""The delivery note as a PDF (ReportLab), the same content as the printable page."""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from bottles.i18n import money as _money
from bottles.i18n import number as _number
from bottles.rules import CO2_NEW_BOTTLE_KG, CO2_REUSED_BOTTLE_KG


def _plain(text: str) -> str:
    """Helvetica lacks the narrow no-break space French number formats use."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def money(cents: int) -> str:
    return _plain(_money(cents))


def number(value, digits: int = 0) -> str:
    return _plain(_number(value, digits))


def delivery_note_pdf(*, channel: str, title: str, sale, winemaker, washer, when: str, note,
                      new_bottle_cents: int) -> bytes:
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=title, author=channel,
                            leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm)
    styles = getSampleStyleSheet()
    story = [Paragraph(escape(channel), styles["Title"]), Paragraph(title, styles["Heading2"]),
             Paragraph(f"Date : {when}", styles["Normal"]),
             Paragraph(escape(f"Vigneron : {winemaker.estate}"
                              + (f", {winemaker.commune}" if winemaker.commune else "")), styles["Normal"]),
             Paragraph(escape(f"Départ : {washer.name if washer else '—'}"), styles["Normal"]),
             Spacer(1, 0.5 * cm)]
    data = [["Modèle", "Quantité", "Prix unitaire", "Montant", f"En neuf ({money(new_bottle_cents)})"]]
    for line in note.lines:
        data.append([line.model, number(line.quantity), money(line.unit_price_cents),
                     money(line.total_cents), money(line.new_total_cents)])
    data.append(["Total", number(note.bottles), "", money(note.total_cents), money(note.new_total_cents)])
    table = Table(data, colWidths=[5.4 * cm, 2.2 * cm, 2.8 * cm, 2.8 * cm, 3.8 * cm])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"), ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#efece5")),
    ]))
    story += [table, Spacer(1, 0.6 * cm),
              Paragraph(f"Économie par rapport à des bouteilles neuves : <b>{money(note.saving_cents)}</b>",
                        styles["Normal"]),
              Paragraph(f"CO2 évité : <b>{number(note.co2_kg, 1)} kg</b> "
                        f"({number(CO2_NEW_BOTTLE_KG, 2)} kg pour une bouteille neuve, "
                        f"{number(CO2_REUSED_BOTTLE_KG, 2)} kg réemployée)", styles["Normal"]),
              Paragraph(f"Verre évité : <b>{number(note.glass_kg, 1)} kg</b>", styles["Normal"])]
    if sale.note:
        story += [Spacer(1, 0.4 * cm), Paragraph(f"Note : {escape(sale.note)}", styles["Normal"])]
    story += [Spacer(1, 1.2 * cm),
              Paragraph("Reçu le ____ / ____ / ________ par (nom, signature) :", styles["Normal"])]
    doc.build(story)
    return buffer.getvalue()
