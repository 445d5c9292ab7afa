import pytest

from pcra.organizations.finess import (
    FinessError,
    is_valid_finess,
    validate_finess,
    with_check_digit,
)


@pytest.mark.parametrize("number", ["750712184", "590780193", " 75 071 2184 "])
def test_valid_numbers(number):
    assert is_valid_finess(number)


@pytest.mark.parametrize(
    ("number", "reason"),
    [("750712185", "wrong check digit"), ("75071218", "must have 9 characters"),
     ("7507121X4", "must be 9 digits"), ("", "empty")],
)
def test_invalid_numbers_say_why(number, reason):
    with pytest.raises(FinessError, match=reason):
        validate_finess(number)


def test_corsica_numbers_use_20_for_the_key():
    number = with_check_digit("2A000001")
    assert number.startswith("2A") and is_valid_finess(number)
    assert is_valid_finess(number.replace("2A", "2B"))  # same key rule for both departments
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not is_valid_finess(wrong)
