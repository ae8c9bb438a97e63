import pytest
from hypothesis import given
from hypothesis import strategies as st

from bottles import codes


def test_known_check_character_and_format():
    code = codes.make_code(42)
    assert code.startswith("CJ-00042-") and len(code) == 10
    assert codes.is_valid(code.replace("-", ""))


@pytest.mark.parametrize("variant", [
    "{code}", "{lower}", "{compact}", " {code} ", "https://boucle.test/c/{code}",
    "HTTPS://BOUCLE.TEST/C/{code}?utm=x", "http://x/c/{lower}#top",
])
def test_parse_accepts_every_way_in(variant):
    code = codes.make_code(123)
    raw = variant.format(code=code, lower=code.lower(), compact=code.replace("-", ""))
    assert codes.normalise(raw) == code


def test_parse_understands_a_qwerty_scanner_on_an_azerty_keyboard():
    code = codes.make_code(123)  # CJ-00123-X
    typed = code.translate(str.maketrans("0123456789-", "à&é\"'(-è_ç)"))
    assert codes.normalise(typed) == code


def test_wrong_check_character_is_refused_with_a_message():
    code = codes.make_code(7)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(codes.CrateCodeError, match="contrôle"):
        codes.parse(wrong)


@pytest.mark.parametrize("raw", ["", "   ", "hello", "CJ-0042-1", "12345", "x" * 400])
def test_garbage_is_refused(raw):
    with pytest.raises(codes.CrateCodeError):
        codes.parse(raw)


@given(st.integers(1, 99_999), st.integers(0, 7), st.sampled_from(codes.ALPHABET))
def test_any_single_substitution_is_caught(number, position, replacement):
    code = codes.make_code(number).replace("-", "")
    if code[position] == replacement or (position < 2 and replacement.isdigit()) or (
            2 <= position < 7 and not replacement.isdigit()):
        return
    mutated = code[:position] + replacement + code[position + 1:]
    assert not codes.is_valid(mutated)


@given(st.integers(1, 99_998))
def test_adjacent_transposition_of_digits_is_caught(number):
    code = codes.make_code(number).replace("-", "")
    for i in range(2, 6):
        if code[i] != code[i + 1]:
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            assert not codes.is_valid(swapped)
