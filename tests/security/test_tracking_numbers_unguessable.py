"""Issue 18, finding 15: tracking numbers were counted (YY20261206-0001, -0002, …), and one
number's limit counted every address, so ten wrong guesses from ten addresses locked the real
submitter out of the tracking page. Numbers are now drawn, typed forgivingly, and a number's
guesses are limited per address, with a far higher ceiling for the number itself."""

import re

from fastapi.testclient import TestClient
from sqlmodel import select

from liaison.clock import local, now
from liaison.config import get_settings
from liaison.desk.models import ServiceRequest
from tests.desk.test_public import submit
from tests.factories import TRACKING_NO, post
from tests.ledger.books import workbook
from tests.ledger.test_import import run

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
OWNER = "198.51.100.7"


def browser(client: TestClient, address: str) -> TestClient:
    return TestClient(client.app, client=(address, 50000))


def submitted(client: TestClient, **overrides: str) -> str:
    done = submit(client, **overrides)
    assert done.status_code == 200
    return re.search(r'data-testid="tracking-no">([^<]+)<', done.text).group(1)


def track(client: TestClient, number: str, last4: str = "5678"):  # type: ignore[no-untyped-def]
    return post(client, "/track", {"tracking_no": number, "last4": last4})


def test_numbers_in_a_row_carry_the_day_and_cannot_be_counted(client, db):
    owner = browser(client, OWNER)
    first, second = submitted(owner), submitted(owner, content="围挡被推倒了，请尽快来看")
    day = f"YY{local(now()):%Y%m%d}-"
    for number in (first, second):
        assert re.fullmatch(TRACKING_NO, number) and number.startswith(day)
    drawn = [n.removeprefix(day).replace("-", "") for n in (first, second)]
    assert drawn[0] != drawn[1]
    # Read as numbers of Crockford's base32, the second is not the first plus one.
    value = [sum(CROCKFORD.index(c) * 32**i for i, c in enumerate(reversed(d))) for d in drawn]
    assert abs(value[1] - value[0]) > 1


def test_guesses_from_many_addresses_do_not_lock_out_the_owner(client, db):
    number = submitted(browser(client, OWNER))
    limit = get_settings().desk_tracks_per_10_minutes
    answers = []
    for n in range(10):  # ten addresses, each guessing the phone's digits until refused
        guesser = browser(client, f"203.0.113.{n + 1}")
        answers.append([track(guesser, number, f"{k:04d}").status_code for k in range(limit + 1)])
    found = track(browser(client, OWNER), number)
    assert found.status_code == 200 and "工地夜间有人偷电缆" in found.text
    assert answers == [[404] * limit + [429]] * 10  # each guesser is held to its own tries


def test_one_address_guessing_many_numbers_is_refused(client, db):
    number = submitted(browser(client, OWNER))
    scanner = browser(client, "203.0.113.50")
    day = number[:11]
    answers = [track(scanner, f"{day}{n:04d}-{n:04d}").status_code for n in range(50)]
    assert 429 in answers and set(answers) == {404, 429}
    assert set(answers[answers.index(429) :]) == {429}  # and stays refused
    refused = track(scanner, number)
    assert refused.status_code == 429 and "retry-after" in refused.headers


def test_a_number_typed_in_lower_case_spaced_or_misread_is_found(client, db):
    number = submitted(browser(client, OWNER))
    owner = browser(client, OWNER)
    misread = number.replace("0", "O").replace("1", "l")
    full_width = "".join(chr(ord(c) + 0xFEE0) if c != "-" else "—" for c in number)
    for typed in (
        number.lower(),
        " ".join(number.replace("-", "")),
        misread.lower().replace("-", " - "),
        full_width,
    ):
        found = track(owner, typed)
        assert found.status_code == 200 and "工地夜间有人偷电缆" in found.text, typed
    filled = owner.get("/track", params={"no": number.lower()})
    assert f'value="{number}"' in filled.text


def test_a_counted_number_from_a_ledger_is_still_found(client, db):
    old = "YY20250501-0007"
    assert run(db, workbook(**{"诉求__0__tracking_no": old})).ok
    assert db.exec(select(ServiceRequest.tracking_no)).all() == [old]
    for typed in (old, "yy2O25O5Ol OOO7"):
        found = track(browser(client, OWNER), typed, "0001")
        assert found.status_code == 200 and "夜间有人偷电缆" in found.text, typed
