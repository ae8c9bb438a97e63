"""The delivery note as a PDF (ReportLab), the same content as the printable page."""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from bottles.i18n import label
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


BOLD = "\x00"  # stands for the one value a translated line sets in bold


def _bold(translated: str, value: str) -> str:
    """A translated line, escaped, its BOLD placeholder replaced by `value` in bold."""
    return escape(translated).replace(BOLD, f"<b>{escape(value)}</b>")


def delivery_note_pdf(*, channel: str, title: str, sale, winemaker, washer, when: str, note,
                      new_bottle_cents: int) -> bytes:
    """The note in the person's language (gettext and the locale's number formats)."""
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=title, author=channel,
                            leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm)
    styles = getSampleStyleSheet()
    story = [Paragraph(escape(channel), styles["Title"]), Paragraph(title, styles["Heading2"]),
             Paragraph(escape(_("Date : %(when)s", when=when)), styles["Normal"]),
             Paragraph(escape(_("Vigneron : %(estate)s", estate=winemaker.estate)
                              + (f", {winemaker.commune}" if winemaker.commune else "")), styles["Normal"]),
             Paragraph(escape(_("Départ : %(washer)s", washer=washer.name if washer else "—")),
                       styles["Normal"]),
             Spacer(1, 0.5 * cm)]
    data = [[_("Modèle"), _("Quantité"), _("Prix unitaire"), _("Montant"),
             _("En neuf (%(price)s)", price=money(new_bottle_cents))]]
    for line in note.lines:
        data.append([label(line.model, line.model_en), number(line.quantity), money(line.unit_price_cents),
                     money(line.total_cents), money(line.new_total_cents)])
    data.append([_("Total"), number(note.bottles), "", money(note.total_cents),
                 money(note.new_total_cents)])
    table = Table(data, colWidths=[5.4 * cm, 2.2 * cm, 2.8 * cm, 2.8 * cm, 3.8 * cm])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"), ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#efece5")),
    ]))
    story += [table, Spacer(1, 0.6 * cm),
              Paragraph(_bold(_("Économie par rapport à des bouteilles neuves : %(amount)s", amount=BOLD),
                              money(note.saving_cents)), styles["Normal"]),
              Paragraph(_bold(_("CO2 évité : %(kg)s kg (%(new)s kg pour une bouteille neuve, "
                                "%(reused)s kg réemployée)", kg=BOLD, new=number(CO2_NEW_BOTTLE_KG, 2),
                                reused=number(CO2_REUSED_BOTTLE_KG, 2)),
                              number(note.co2_kg, 1)), styles["Normal"]),
              Paragraph(_bold(_("Verre évité : %(kg)s kg", kg=BOLD), number(note.glass_kg, 1)),
                        styles["Normal"])]
    if sale.note:
        story += [Spacer(1, 0.4 * cm), Paragraph(escape(_("Note : %(note)s", note=sale.note)),
                                                 styles["Normal"])]
    story += [Spacer(1, 1.2 * cm),
              Paragraph(escape(_("Reçu le ____ / ____ / ________ par (nom, signature) :")),
                        styles["Normal"])]
    doc.build(story)
    return buffer.getvalue()
