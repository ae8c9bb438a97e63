"""The scan station's camera, for real: Chromium's fake camera films two printed crate labels, the
QR reader Boucle serves (barcode-detector over zxing-wasm) reads them, and the driver's pickup
station lists and records both crates; the page fetches nothing from another host.

Also: the vendored reader's files are the ones bottles/static/vendor/zxing/README.md names.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from bottles import codes
from bottles.rules import Kind, Move, Stage
from collection_points.labels import crate_url, qr_matrix
from tests.conftest import CHROMIUM
from tests.factories import PASSWORD
from tests.test_accessibility_browser import AXE, AXE_RUN, MEASURE, MIN

VENDOR = Path(__file__).parents[2] / "bottles" / "static" / "vendor" / "zxing"
NUMBERS = (4242, 517)  # the two crates the camera films
WIDTH, HEIGHT, FPS, FRAMES_EACH = 640, 480, 10, 20
SHOTS = os.environ.get("BOUCLE_SHOTS")  # a folder: save the station with the camera running


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_vendored_reader_files_match_their_readme():
    readme = (VENDOR / "README.md").read_text()
    rows = dict(re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", readme, re.MULTILINE))
    assert set(rows) == {"barcode-detector.js", "zxing_reader.wasm"}
    for name, digest in rows.items():
        assert _sha256(VENDOR / name) == digest, f"{name} differs from the sha256 in its README"
    script = (VENDOR / "barcode-detector.js").read_text()
    # the polyfill names the zxing-wasm version and the .wasm it was built for
    assert re.search(r"=`([0-9a-f]{64})`", script).group(1) == rows["zxing_reader.wasm"]
    assert "zxing-wasm` 3.1.3" in readme and "`3.1.3`" in script
    assert "barcode-detector` 3.2.2" in readme


def test_the_reader_is_served_with_its_types(client):
    from flask import url_for

    with client.application.test_request_context():
        wasm = url_for("bottles.static", filename="vendor/zxing/zxing_reader.wasm")
        script = url_for("bottles.static", filename="vendor/zxing/barcode-detector.js")
    served = client.get(wasm)
    assert served.status_code == 200 and served.mimetype == "application/wasm"
    assert served.data == (VENDOR / "zxing_reader.wasm").read_bytes()
    assert client.get(script).mimetype == "text/javascript"


def _label(code: str) -> Image.Image:
    """A crate's label as printed (its QR code of the crate's URL, the code under it), on a table."""
    matrix = qr_matrix(crate_url("https://boucle.example.org", code))
    module = 8
    side = len(matrix) * module
    frame = Image.new("RGB", (WIDTH, HEIGHT), (120, 104, 86))  # a wooden crate
    label = Image.new("RGB", (side + 40, side + 70), "white")
    draw = ImageDraw.Draw(label)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle([20 + x * module, 20 + y * module, 20 + (x + 1) * module - 1,
                                20 + (y + 1) * module - 1], fill=(20, 20, 20))
    draw.text((20, side + 28), code, fill="black", font=ImageFont.load_default(size=28))
    label = label.rotate(6, expand=True, fillcolor=(120, 104, 86), resample=Image.Resampling.BICUBIC)
    frame.paste(label, ((WIDTH - label.width) // 2, (HEIGHT - label.height) // 2))
    return frame


def _y4m_frame(image: Image.Image) -> bytes:
    """One 4:2:0 frame: the full-size Y plane, then Cb and Cr at half size (JPEG's YCbCr, C420jpeg)."""
    y, cb, cr = image.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    return (b"FRAME\n" + y.tobytes() + cb.resize(half, Image.Resampling.BOX).tobytes()
            + cr.resize(half, Image.Resampling.BOX).tobytes())


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory) -> Path:
    """A Y4M video: 2 s of crate A's label, then 2 s of crate B's (Chromium plays it in a loop)."""
    path = tmp_path_factory.mktemp("camera") / "labels.y4m"
    frames = [_y4m_frame(_label(codes.make_code(n))) for n in NUMBERS]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            out.write(frame * FRAMES_EACH)
    return path


@pytest.fixture(scope="module")
def camera_browser(browser, camera_file):
    """A second headless Chromium whose camera films the labels (its permission prompt says yes)."""
    filming = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={camera_file}"])
    yield filming
    filming.close()


WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
delete window.BarcodeDetector;  // read with Boucle's own reader, as on iOS Safari and Firefox
"""


@pytest.mark.browser
def test_the_camera_reads_two_printed_labels_on_the_pickup_station(camera_browser, live_server, factory):
    washer = factory.washer()
    point = factory.point(name="Cave de la Comédie")
    driver = factory.user("driver")
    filmed = [factory.crate(number, washer=washer) for number in NUMBERS]
    placed = datetime.now(UTC) - timedelta(days=5)
    for crate in filmed:  # placed at the point, then declared full: ready to be picked up
        factory.event(Kind.CRATE_PLACED, crate=crate, point=point.id, actor=driver, at=placed)
        factory.event(Kind.CRATE_FULL, crate=crate, point=point.id, at=placed + timedelta(days=2),
                      moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, 48)])
    factory.session.commit()

    context = camera_browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                         has_touch=True, locale="fr-FR", base_url=live_server.url,
                                         service_workers="block")
    page = context.new_page()
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}")
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.add_init_script(WATCH)
    context.add_init_script(path=str(AXE))  # the accessibility engine, as an init script: no request
    try:
        page.goto("/login")
        page.fill("#username", driver.username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto("/tournee/enlever")
        box = page.locator("[data-scan-camera]")
        assert box.is_visible()  # every browser with a camera gets the button now
        started = time.monotonic()
        page.click("[data-camera-start]")
        page.wait_for_selector(".scan-item", timeout=20_000)
        first_decode = time.monotonic() - started
        for crate in filmed:
            page.wait_for_selector(f".scan-item[data-code='{crate.code}']", timeout=20_000)
        both = time.monotonic() - started
        assert box.get_attribute("data-decoder") == "zxing"
        assert box.get_attribute("data-camera-state") == "running"
        assert page.locator("[data-camera-view]").is_visible()
        assert page.locator("[data-camera-stop]").inner_text() == "Arrêter la caméra"
        page.wait_for_timeout(2500)  # the labels pass again: each crate is listed once
        assert page.locator(".scan-item").count() == 2
        assert "à valider" in page.locator("[data-scan-list]").inner_text()
        view = page.locator("[data-camera-view]").bounding_box()
        stop = page.locator("[data-camera-stop]").bounding_box()
        assert view["width"] >= 0.9 * 390 - 40 and view["height"] >= view["width"] * 0.74  # most of the width
        assert stop["y"] + stop["height"] <= 844  # the stop button is on screen, under the thumb
        assert page.locator(".scan-frame").is_visible()
        assert not page.evaluate(MEASURE, MIN)["small"]  # every target at least 44 × 44 px
        assert not page.evaluate(AXE_RUN)
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/camera-scan-station.png")
            page.screenshot(path=f"{SHOTS}/camera-scan-station-page.png", full_page=True)
        page.click("[data-camera-stop]")
        assert box.get_attribute("data-camera-state") == "stopped"
        assert page.locator("[data-camera-view]").is_hidden()
        assert page.evaluate("document.querySelector('[data-camera-view] video').srcObject") is None
        page.click("[data-scan-submit]")
        page.wait_for_selector(".scan-item.status-recorded >> nth=1")
        assert page.locator(".scan-item.status-recorded").count() == 2
        csp = page.evaluate("window.__csp")
    finally:
        context.close()

    print(f"\ncamera: first crate read {first_decode:.2f} s after the tap, both in {both:.2f} s; "
          f"{len(requests)} requests")
    assert not csp and not problems, csp + problems
    foreign = [url for url in requests if not url.startswith(live_server.url + "/")]
    assert not foreign, foreign
    assert any(url.endswith("/vendor/zxing/barcode-detector.js") for url in requests)
    assert sum(url.endswith("/vendor/zxing/zxing_reader.wasm") for url in requests) == 1
    factory.session.rollback()  # end the test's read snapshot: the server wrote since
    for crate in filmed:
        history = [e.kind for e in factory.session.scalars(_events_of(crate))]
        assert Kind.PICKUP in history


def _events_of(crate):
    from sqlalchemy import select

    from bottles.models import Event

    return select(Event).where(Event.crate_id == crate.id)


@pytest.mark.browser
def test_a_refused_camera_or_reader_says_why_in_french_and_typing_still_works(camera_browser, live_server,
                                                                             factory):
    driver = factory.user("driver")
    factory.session.commit()
    context = camera_browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                         has_touch=True, locale="fr-FR", base_url=live_server.url,
                                         service_workers="block")
    page = context.new_page()
    page.add_init_script(WATCH)
    message = page.locator("[data-scan-message]")
    box = page.locator("[data-scan-camera]")
    try:
        page.goto("/login")
        page.fill("#username", driver.username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto("/tournee/enlever")

        page.route("**/zxing_reader.wasm", lambda route: route.abort())  # the reader cannot load
        page.click("[data-camera-start]")
        page.wait_for_selector("[data-scan-camera][data-camera-state='error']")
        assert "Le lecteur de QR codes n'a pas pu se charger" in message.inner_text()
        assert page.locator("[data-camera-view]").is_hidden()
        assert page.locator("[data-camera-start]").is_visible()
        assert page.evaluate("document.querySelector('[data-camera-view] video').srcObject") is None

        page.unroute("**/zxing_reader.wasm")  # "réessayez": the next tap loads it
        page.click("[data-camera-start]")
        page.wait_for_selector("[data-scan-camera][data-camera-state='running']")
        page.click("[data-camera-stop]")

        for name, said in (("NotAllowedError", "Accès à la caméra refusé"),
                           ("NotFoundError", "Aucune caméra trouvée sur cet appareil"),
                           ("NotReadableError", "La caméra est déjà utilisée par une autre application")):
            page.evaluate("""(name) => { navigator.mediaDevices.getUserMedia =
                () => Promise.reject(new DOMException("refused", name)); }""", name)
            page.click("[data-camera-start]")
            page.wait_for_selector("[data-scan-camera][data-camera-state='error']")
            assert said in message.inner_text(), (name, message.inner_text())
            assert page.locator("[data-camera-view]").is_hidden()
            box.evaluate("b => b.removeAttribute('data-camera-state')")

        field = page.locator("[data-scan-input]")
        field.fill(codes.make_code(NUMBERS[0]))
        field.press("Enter")
        assert page.locator(f".scan-item[data-code='{codes.make_code(NUMBERS[0])}']").count() == 1
    finally:
        context.close()


NATIVE = """
window.BarcodeDetector = class {
  static getSupportedFormats() { return Promise.resolve(["qr_code", "ean_13"]); }
  constructor(options) { window.__formats = options.formats; }
  detect(video) {  // reads a frame of the camera, as Chrome on Android does
    return Promise.resolve(video.videoWidth ? [{rawValue: "https://boucle.example.org/c/%s"}] : []);
  }
};
"""


@pytest.mark.browser
def test_a_browser_that_reads_qr_codes_itself_loads_no_reader(camera_browser, live_server, factory):
    driver = factory.user("driver")
    factory.session.commit()
    code = codes.make_code(NUMBERS[1])
    context = camera_browser.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url,
                                         service_workers="block")
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.add_init_script(NATIVE % code)
    try:
        page.goto("/login")
        page.fill("#username", driver.username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto("/tournee/enlever")
        page.click("[data-camera-start]")
        page.wait_for_selector(f".scan-item[data-code='{code}']")
        assert page.locator("[data-scan-camera]").get_attribute("data-decoder") == "native"
        assert page.evaluate("window.__formats") == ["qr_code"]
        page.wait_for_timeout(1000)  # still in view: listed once, not warned about again
        assert page.locator(".scan-item").count() == 1
        assert "ajoutée" in page.locator("[data-scan-message]").inner_text()
    finally:
        context.close()
    assert not [url for url in requests if "/vendor/zxing/" in url]
