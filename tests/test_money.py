"""Money: exact fen, yuan and 万元 display, and 人民币大写."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liaison.money import FEN_PER_WAN, parse_amount, rmb_upper, wan, yuan
from liaison.pii import id_number_error, mask_id, mask_phone


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (714_760_000, "柒佰壹拾肆万柒仟陆佰元整"),
        (5, "伍分"),
        (1_000_000_010, "壹仟万元零壹角"),
        (100_000_100, "壹佰万零壹元整"),
        (123_456_789, "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        (100_005, "壹仟元零伍分"),
        (10_000_000_000, "壹亿元整"),
        (0, "零元整"),
    ],
)
def test_rmb_upper_against_known_values(fen, words):
    assert rmb_upper(fen) == words


def test_display_of_the_articles_total():
    assert yuan(714_760_000) == "¥7,147,600.00"
    assert wan(714_760_000) == "714.76 万元"
    assert wan(714_765_000) == "714.77 万元"  # half up


@pytest.mark.parametrize("text", ["1.234", "abc", "1e400", "NaN", ""])
def test_amounts_that_are_not_exact_fen_are_refused(text):
    with pytest.raises(ValueError):
        parse_amount(text)


def test_amounts_are_parsed_exactly():
    assert parse_amount("１２,３４５.６７") == 1_234_567
    assert parse_amount("714.76", unit=FEN_PER_WAN) == 714_760_000


@given(st.lists(st.integers(min_value=1, max_value=10**11), min_size=1, max_size=50))
def test_displayed_entries_add_up_to_the_displayed_total(amounts):
    """What a person reads: each entry shown in yuan, read back, sums to the total shown."""
    shown = [yuan(fen) for fen in amounts]
    read_back = sum(parse_amount(text) for text in shown)
    assert yuan(read_back) == yuan(sum(amounts))


def test_id_numbers_are_checked_and_masked():
    assert id_number_error("11010519491231002X") is None
    assert "校验位" in id_number_error("110105194912310021")
    assert "18 位" in id_number_error("1101051949")
    assert mask_id("11010519491231002X") == "110***********002X"
    assert mask_phone("13812345678") == "138****5678"


@given(st.from_regex(r"1[3-9]\d{9}", fullmatch=True))
def test_masked_phones_show_at_most_seven_digits(phone):
    masked = mask_phone(phone)
    assert len(masked) == len(phone) and sum(c.isdigit() for c in masked) == 7
    assert mask_phone(masked) == masked
