"""Time the crate label sheets: 1,000 labels per layout, then decode every QR of them at 300 dpi.

    .venv/bin/python benchmarks/labels.py [--count 1000] [--no-decode]

Pure rendering (no database): the same code path as `flask bottles labels` and /etiquettes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bottles.codes import make_code  # noqa: E402
from collection_points import labels  # noqa: E402

BASE = "https://boucle.example.org"
CHANNEL = "Boucle — réemploi des bouteilles du Jura"


def decode_all(pdf: bytes) -> list[str]:
    import zxingcpp
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "sheet.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "300", "-png", str(source), f"{tmp}/p"], check=True)
        found: list[str] = []
        for png in sorted(Path(tmp).glob("p-*.png")):
            found += [r.text for r in zxingcpp.read_barcodes(Image.open(png),
                                                             formats=zxingcpp.BarcodeFormat.QRCode)]
        return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--no-decode", action="store_true")
    args = parser.parse_args()
    codes = [make_code(n) for n in range(1, args.count + 1)]
    for layout in ("3x8", "2x7"):
        start = time.perf_counter()
        pdf = labels.sheet_pdf(codes, BASE, CHANNEL, layout)
        elapsed = time.perf_counter() - start
        pages = -(-len(codes) // labels.LAYOUTS[layout].per_sheet)
        print(f"{layout}: {len(codes)} labels, {pages} pages, {len(pdf) / 1e6:.2f} MB in {elapsed:.2f} s "
              f"({elapsed / len(codes) * 1000:.2f} ms/label)")
        if not args.no_decode:
            start = time.perf_counter()
            found = decode_all(pdf)
            expected = {f"{BASE}/c/{c}" for c in codes}
            ok = sorted(found) == sorted(expected)
            print(f"  decoded {len(found)}/{len(codes)} QR codes at 300 dpi with zxing-cpp, "
                  f"all right: {ok} ({time.perf_counter() - start:.1f} s)")
            if not ok:
                sys.exit(1)


if __name__ == "__main__":
    main()
