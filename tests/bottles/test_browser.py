"""The sign-in page and a crate page in a real phone-sized browser."""

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_phone_login_then_back_to_the_crate(phone, factory):
    washer, point = factory.washer(), factory.point()
    staff = factory.user("point", points=[point])
    crate = factory.full_crate_at(point, count=12, washer=washer, actor=staff)
    factory.session.commit()
    phone.goto(f"/c/{crate.code}")
    assert "/login" in phone.url
    phone.fill("#username", staff.username)
    phone.fill("#password", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url(f"**/c/{crate.code}")
    assert phone.locator(".crate-code").inner_text() == crate.code
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
