"""Label sheets: exact sizes, every QR code decodes (zxing-cpp) to the crate's URL; CLI and pages."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from bottles import codes
from bottles.models import Crate
from collection_points import labels
from tests.factories import login, post_form

BASE = "https://boucle.test"
CHANNEL = "Boucle — réemploi des bouteilles du Jura"


def decode_pdf(pdf: bytes, tmp_path: Path, dpi: int = 300) -> list[list[str]]:
    """Each page rendered by poppler at `dpi`, and the text of every QR code found on it."""
    source = tmp_path / "sheet.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(source), str(tmp_path / "page")], check=True)
    pages = []
    for png in sorted(tmp_path.glob("page-*.png")):
        found = zxingcpp.read_barcodes(Image.open(png), formats=zxingcpp.BarcodeFormat.QRCode)
        pages.append([r.text for r in found])
    return pages




@pytest.mark.parametrize("layout, per_page", [("3x8", 24), ("2x7", 14)])
def test_every_qr_of_a_sheet_decodes_to_its_crate_url(tmp_path, layout, per_page):
    wanted = [codes.make_code(n) for n in range(1, per_page + 4)]
    pdf = labels.sheet_pdf(wanted, BASE, CHANNEL, layout)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4, 1), round(float(box.height) / 72 * 25.4, 1)) == (210.0, 297.0)
    pages = decode_pdf(pdf, tmp_path)
    assert len(pages[0]) == per_page and len(pages[1]) == 3
    assert sorted(pages[0] + pages[1]) == sorted(f"{BASE}/c/{c}" for c in wanted)
    text = reader.pages[0].extract_text()
    assert wanted[0] in text and "réemploi" in text


def test_layouts_fit_a4_exactly():
    for layout in labels.LAYOUTS.values():
        width = 2 * layout.left + layout.cols * layout.width + (layout.cols - 1) * layout.gap_x
        height = 2 * layout.top + layout.rows * layout.height + (layout.rows - 1) * layout.gap_y
        assert round(width, 2) == 210.0 and abs(height - 297.0) < 1.01
        x, y = layout.origin(layout.per_sheet - 1)
        assert x + layout.width <= 210.0 and y >= 0


def test_png_and_svg_of_one_label(tmp_path, browser):
    code = codes.make_code(42)
    png = labels.label_png(code, BASE, CHANNEL)
    image = Image.open(io.BytesIO(png))
    assert image.size == (827, 437)  # 70 × 37 mm at 300 dpi
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [f"{BASE}/c/{code}"]
    svg = labels.label_svg(code, BASE, CHANNEL)
    assert 'width="70.0mm" height="37.0mm"' in svg and code in svg
    (tmp_path / "label.svg").write_text(svg)
    page = browser.new_page(viewport={"width": 400, "height": 220}, device_scale_factor=3)
    page.goto(f"file://{tmp_path / 'label.svg'}")
    page.screenshot(path=str(tmp_path / "svg.png"))
    page.close()
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(tmp_path / "svg.png"))] == [f"{BASE}/c/{code}"]


def test_cli_writes_a_sheet_and_marks_crates_printed(app, factory, tmp_path):
    washer, point = factory.washer(), factory.point(code="CAVE1")
    crates = [factory.crate(washer=washer) for _ in range(5)]
    staff = factory.user("point", points=[point])
    at_point = factory.full_crate_at(point, washer=washer, actor=staff)
    factory.session.commit()
    runner = app.test_cli_runner()
    out = tmp_path / "a.pdf"
    result = runner.invoke(args=["bottles", "labels", str(out), "--point", "CAVE1", "--layout", "2x7"])
    assert result.exit_code == 0, result.output
    assert "1 étiquette sur 1 planche" in result.output
    assert decode_pdf(out.read_bytes(), tmp_path) == [[f"https://boucle.test/c/{at_point.code}"]]
    result = runner.invoke(args=["bottles", "labels", str(out), "--unprinted"])
    assert result.exit_code == 0 and "5 étiquettes sur 1 planche" in result.output
    factory.session.expire_all()
    assert all(factory.session.get(Crate, c.id).label_printed_at is not None for c in crates)
    result = runner.invoke(args=["bottles", "labels", str(out), "--unprinted"])
    assert result.exit_code != 0 and "Aucune caisse" in result.output
    result = runner.invoke(args=["bottles", "labels", str(out), crates[0].code.lower(), crates[1].code])
    assert result.exit_code == 0 and "2 étiquettes" in result.output
    result = runner.invoke(args=["bottles", "labels", str(out), "CJ-99999-0"])
    assert result.exit_code != 0
    result = runner.invoke(args=["bottles", "labels", str(out), "--from", crates[1].code, "--to",
                                 crates[3].code, "--no-mark"])
    assert result.exit_code == 0 and "3 étiquettes" in result.output
    result = runner.invoke(args=["bottles", "labels", str(out)])
    assert result.exit_code != 0 and "Choisissez" in result.output


def test_labels_page_downloads_a_pdf_and_single_labels(client, factory, session, tmp_path):
    washer = factory.washer()
    crates = [factory.crate(washer=washer) for _ in range(3)]
    coordinator = factory.user("coordinator")
    session.commit()
    login(client, coordinator)
    page = client.get("/etiquettes")
    assert page.status_code == 200 and "Jamais imprimées (3)" in page.get_data(as_text=True)
    response = post_form(client, "/etiquettes", {"which": "unprinted", "layout": "3x8", "mark": "1"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert sorted(decode_pdf(response.data, tmp_path)[0]) == sorted(f"{BASE}/c/{c.code}" for c in crates)
    assert all(c.label_printed_at for c in session.scalars(select(Crate)))
    bad = post_form(client, "/etiquettes", {"which": "codes", "codes": "CJ-00001-0", "layout": "3x8"})
    assert bad.status_code == 422 and "contrôle" in bad.get_data(as_text=True)
    bad = post_form(client, "/etiquettes", {"which": "unprinted", "layout": "9x9"})
    assert bad.status_code == 422
    png = client.get(f"/c/{crates[0].code}/etiquette.png")
    assert png.mimetype == "image/png"
    assert client.get(f"/c/{crates[0].code}/etiquette.svg").mimetype == "image/svg+xml"
    assert client.get(f"/c/{crates[0].code}/etiquette.pdf").mimetype == "application/pdf"
    assert client.get(f"/c/{crates[0].code}/etiquette.gif").status_code == 404
