"""bottles.numbers: one rule for whole numbers (ASCII digits, bounded before int()), and what uses it
outside the web pages: the CSV readers of the catalogue and journal imports (NUL, huge cells)."""

from __future__ import annotations

import io

import pytest

from bottles.catalogue.csv_import import CsvError, read_rows
from bottles.journal.catalogue import Catalogue
from bottles.journal.read import Reader
from bottles.journal.rows import rows_of
from bottles.numbers import ID_MAX, SEQ_MAX, ParseError, parse_count, parse_id


@pytest.mark.parametrize("raw", ["²", "٣", "１２", "-1", "1e3", "1,5", "0x10", "1.0", "abc", "\x00", "1\x00"])
def test_a_count_is_ascii_digits_only(raw):
    with pytest.raises(ParseError) as refused:
        parse_count(raw, 1000)
    assert "chiffres 0 à 9" in str(refused.value)


def test_a_count_is_bounded_before_int_reads_it():
    with pytest.raises(ParseError, match="maximum"):  # not int()'s ValueError about 4,300 digits
        parse_count("9" * 5000, 1000)
    with pytest.raises(ParseError, match="maximum"):
        parse_count("1001", 1000)
    assert parse_count(" 1 000 ", 1000) == 1000
    assert parse_count("1\u202f000", 1000) == 1000
    assert parse_count("0001000", 1000) == 1000
    assert parse_count("", 10) is None and parse_count("  ", 10) is None and parse_count(None, 10) is None
    with pytest.raises(ParseError):
        parse_count("1 000", 1000, grouped=False)


@pytest.mark.parametrize("raw", ["²", "٣", "-1", "0", "", " ", "abc", "1.0", str(ID_MAX + 1), "9" * 5000,
                                 None, True, -3, 0, 2**40, [], {}])
def test_an_id_that_cannot_be_a_row_is_none(raw):
    assert parse_id(raw) is None


def test_ids_within_the_key_range():
    assert parse_id("42") == 42 and parse_id(" 42 ") == 42 and parse_id(42) == 42
    assert parse_id(str(ID_MAX)) == ID_MAX
    assert parse_id(str(SEQ_MAX), SEQ_MAX) == SEQ_MAX
    assert parse_id(str(SEQ_MAX + 1), SEQ_MAX) is None


def test_the_url_converter_follows_the_rule(app, client):
    assert client.get("/phases/²").status_code in (302, 404)  # signed out: never a 500
    adapter = app.url_map.bind("boucle.test")
    assert adapter.match("/phases/12")[1] == {"phase_id": 12}
    assert adapter.match("/ventes/2147483648")[1] == {"seq": 2147483648}  # the ledger's key is a BIGINT
    for path in ("/phases/١", "/phases/-1", "/phases/0", "/phases/2147483648", "/phases/9223372036854775808",
                 "/phases/" + "9" * 5000, "/ventes/9223372036854775808"):
        with pytest.raises(Exception) as missing:
            adapter.match(path)
        assert getattr(missing.value, "code", None) == 404, path


def test_a_catalogue_csv_with_a_nul_or_a_huge_cell_is_a_french_error():
    with pytest.raises(CsvError, match="caractère nul"):
        read_rows(b"code,name\nA\x00,B\n")
    with pytest.raises(CsvError, match="Ligne 2 illisible"):
        read_rows(f"code,name\nA,{'x' * 200_000}\n".encode())
    with pytest.raises(CsvError, match="illisible"):
        read_rows(f"{'x' * 200_000}\nA\n".encode())


def _reader() -> Reader:
    return Reader(Catalogue(True, {kind: {} for kind in (
        "actor", "crate", "point", "washer", "winemaker", "model", "reason")}))


def test_a_journal_line_with_a_nul_or_a_huge_cell_is_a_line_error():
    from bottles.journal.columns import ALL_COLUMNS

    header = ",".join(ALL_COLUMNS)
    blank = "," * (len(ALL_COLUMNS) - 1)
    reader = _reader()
    reader.read(rows_of(io.StringIO(f"{header}\n\x00{blank}\n")))
    assert any("caractère nul" in error.message for error in reader.errors)
    reader = _reader()
    reader.read(rows_of(io.StringIO(f"{header}\n{'x' * 200_000}{blank}\n")))
    assert any("CSV illisible" in error.message for error in reader.errors)
