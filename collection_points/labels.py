"""Crate labels: A4 sheets at exact millimetre sizes (PDF), and one label as PNG or SVG.

Each label: the QR code of BASE_URL/c/<CODE>, the code in large clear characters, the channel's name.
Print the PDF at 100 % ("taille réelle"), never "ajuster à la page".
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas


@dataclass(frozen=True)
class Layout:
    """A sheet of `cols` × `rows` labels of `width` × `height` mm, from the top-left margins."""

    name: str
    cols: int
    rows: int
    width: float
    height: float
    left: float
    top: float
    gap_x: float = 0.0
    gap_y: float = 0.0

    @property
    def per_sheet(self) -> int:
        return self.cols * self.rows

    def origin(self, index: int) -> tuple[float, float]:
        """Bottom-left corner (mm, PDF coordinates) of label `index` on its sheet."""
        row, col = divmod(index % self.per_sheet, self.cols)
        x = self.left + col * (self.width + self.gap_x)
        y = 297.0 - self.top - (row + 1) * self.height - row * self.gap_y
        return x, y


LAYOUTS = {
    # 3 × 8 of 70 × 37 mm, edge to edge (e.g. Avery 3490 / L7159-type sheets)
    "3x8": Layout("3x8", 3, 8, 70.0, 37.0, left=0.0, top=0.5),
    # 2 × 7 of 99.1 × 38.1 mm (e.g. Avery L7163)
    "2x7": Layout("2x7", 2, 7, 99.1, 38.1, left=4.65, top=15.15, gap_x=2.5),
}
PADDING_MM = 3.5  # printers leave 3–4 mm blank at the paper's edge: keep the QR clear of it
QR_BORDER = 2  # modules of white around the code, inside the label's padding
# Printed on every label. Labels are stuck on crates at the channel's collection points, so they
# speak the channel's language (French), whatever the language of the person printing them.
LABEL_HINT = "Pleine ? Scannez le QR code"


def crate_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/c/{code}"


def qr_matrix(data: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QR_BORDER)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def _runs(row: list[bool]) -> Iterable[tuple[int, int]]:
    """(start, length) of each run of dark modules: one rectangle per run keeps PDFs small."""
    start = None
    for i, dark in enumerate([*row, False]):
        if dark and start is None:
            start = i
        elif not dark and start is not None:
            yield start, i - start
            start = None


def _wrap(text: str, font: str, size: float, width: float, max_lines: int = 2) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and stringWidth(f"{lines[-1]} {word}", font, size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip(" —-") + "…"
    return lines


def _text_box(layout: Layout) -> tuple[float, float]:
    """(QR side, width left for the text) in mm."""
    side = layout.height - 2 * PADDING_MM
    return side, layout.width - side - 3 * PADDING_MM


def draw_label(pdf: canvas.Canvas, layout: Layout, x_mm: float, y_mm: float, code: str, url: str,
               channel: str) -> None:
    side, text_w = _text_box(layout)
    matrix = qr_matrix(url)
    module = side / len(matrix)
    qx, qy = x_mm + PADDING_MM, y_mm + PADDING_MM
    # Raw "re" operators, one per run of dark modules (reportlab's path objects are 3× slower).
    ops = [f"{(qx + start * module) * mm:.2f} {(qy + side - (r + 1) * module) * mm:.2f} "
           f"{length * module * mm + 0.01:.2f} {module * mm + 0.01:.2f} re"
           for r, row in enumerate(matrix) for start, length in _runs(row)]
    pdf._code.append("\n".join(ops) + " f")
    tx = x_mm + 2 * PADDING_MM + side
    size = min(26.0, text_w * mm / stringWidth(code, "Helvetica-Bold", 1))
    centre = y_mm + layout.height / 2
    pdf.setFont("Helvetica-Bold", size)
    pdf.drawString(tx * mm, centre * mm - size * 0.35, code)
    small = 7.0 if layout.width < 90 else 8.5
    pdf.setFont("Helvetica", small)
    top = y_mm + layout.height - PADDING_MM - 1.0
    for i, line in enumerate(_wrap(channel, "Helvetica", small, text_w * mm)):
        pdf.drawString(tx * mm, top * mm - (i + 1) * small * 1.15, line)
    pdf.setFont("Helvetica", small)
    pdf.drawString(tx * mm, (y_mm + PADDING_MM + 1.0) * mm, LABEL_HINT)


def sheet_pdf(codes: list[str], base_url: str, channel: str, layout_name: str = "3x8",
              out: io.BufferedIOBase | None = None) -> bytes:
    """All labels of `codes`, in order, on as many A4 sheets as needed."""
    layout = LAYOUTS[layout_name]
    buffer = out or io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"Étiquettes de caisses ({len(codes)})")
    pdf.setCreator("Boucle")
    for index, code in enumerate(codes):
        if index and index % layout.per_sheet == 0:
            pdf.showPage()
        x, y = layout.origin(index)
        draw_label(pdf, layout, x, y, code, crate_url(base_url, code), channel)
    if not codes:
        pdf.setFont("Helvetica", 12)
        pdf.drawString(20 * mm, 270 * mm, "Aucune caisse sélectionnée.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue() if isinstance(buffer, io.BytesIO) else b""


# DejaVu ships inside matplotlib (a dependency): the same font on every machine.
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(FONT_DIR / name), size)
    except OSError:
        return ImageFont.load_default(size=size)


def label_png(code: str, base_url: str, channel: str, layout_name: str = "3x8", dpi: int = 300) -> bytes:
    """One label as a PNG at `dpi` (70 × 37 mm → 827 × 437 px at 300 dpi)."""
    from PIL import Image, ImageDraw

    layout = LAYOUTS[layout_name]
    px = dpi / 25.4
    image = Image.new("L", (round(layout.width * px), round(layout.height * px)), 255)
    draw = ImageDraw.Draw(image)
    side, text_w = _text_box(layout)
    matrix = qr_matrix(crate_url(base_url, code))
    module = side * px / len(matrix)
    ox = oy = PADDING_MM * px
    for r, row in enumerate(matrix):
        for start, length in _runs(row):
            draw.rectangle([ox + start * module, oy + r * module,
                            ox + (start + length) * module - 1, oy + (r + 1) * module - 1], fill=0)
    tx = (2 * PADDING_MM + side) * px
    size = 10
    while _font(size + 2, True).getlength(code) <= text_w * px and size < 200:
        size += 2
    draw.text((tx, layout.height * px / 2), code, font=_font(size, True), fill=0, anchor="lm")
    small = _font(round(7 * dpi / 72))
    y = (PADDING_MM + 1) * px
    for line in _wrap(channel, "Helvetica", 7, text_w * mm):
        draw.text((tx, y), line, font=small, fill=0)
        y += 8.5 * dpi / 72
    draw.text((tx, (layout.height - PADDING_MM - 1) * px), LABEL_HINT, font=small,
              fill=0, anchor="ld")
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi), optimize=True)
    return out.getvalue()


def label_svg(code: str, base_url: str, channel: str, layout_name: str = "3x8") -> str:
    """One label as SVG in millimetres (exact size when printed at 100 %)."""
    layout = LAYOUTS[layout_name]
    side, text_w = _text_box(layout)
    matrix = qr_matrix(crate_url(base_url, code))
    module = side / len(matrix)
    rects = "".join(
        f'<rect x="{PADDING_MM + s * module:.3f}" y="{PADDING_MM + r * module:.3f}" '
        f'width="{n * module + 0.005:.3f}" height="{module + 0.005:.3f}"/>'
        for r, row in enumerate(matrix) for s, n in _runs(row))
    tx = 2 * PADDING_MM + side
    size_pt = min(26.0, text_w * mm / stringWidth(code, "Helvetica-Bold", 1))
    size = size_pt / mm
    lines = _wrap(channel, "Helvetica", 7, text_w * mm)
    small = 7 / mm
    channel_text = "".join(
        f'<text x="{tx:.2f}" y="{PADDING_MM + 1 + (i + 1) * small * 1.15:.2f}" font-size="{small:.2f}">'
        f"{escape(line)}</text>" for i, line in enumerate(lines))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{layout.width}mm" height="{layout.height}mm" '
        f'viewBox="0 0 {layout.width} {layout.height}" font-family="Helvetica, Arial, sans-serif">'
        f'<title>Caisse {escape(code)}</title>'
        f'<rect width="{layout.width}" height="{layout.height}" fill="#fff"/>'
        f'<g fill="#000">{rects}</g>'
        f'<text x="{tx:.2f}" y="{layout.height / 2 + size * 0.35:.2f}" font-size="{size:.2f}" '
        f'font-weight="bold">{escape(code)}</text>{channel_text}'
        f'<text x="{tx:.2f}" y="{layout.height - PADDING_MM - 1:.2f}" font-size="{small:.2f}">'
        f"{LABEL_HINT}</text></svg>")
