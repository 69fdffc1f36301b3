"""Issue 18, finding 10: a file's name is the uploader's to choose, bytes and all. A NUL in it
(PostgreSQL's text cannot hold one), bytes that are not UTF-8, terminal escapes or a name of
a thousand characters are not a 500 on any form that takes a file: the name is kept without
its control characters, at a length a column holds."""

import pytest
from sqlmodel import select

from liaison.attachments.models import Attachment, PendingUpload
from liaison.auth.roles import Role
from liaison.ledger.models import LedgerUpload
from liaison.projects.service import today
from tests.desk.test_public import FORM
from tests.factories import csrf_token, login_as, make_officer, make_project
from tests.images import jpeg
from tests.ledger.test_web import SAMPLE

BOUNDARY = "----liaison-test-boundary"
NAMES = {
    "nul": "现场\x00照片.jpg".encode(),
    "not-utf8": b"\xff\xfe\xc3(.jpg",
    "escape": b"\x1b[31m\x07red\x7f.jpg",
    "very-long": "长".encode() * 1_000 + b".jpg",
}


def multipart(fields: dict[str, str], field: str, filename: bytes, data: bytes) -> bytes:
    """The body a client sends that puts the name's bytes in the header as they are (httpx
    would percent-encode a NUL)."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="'.encode()
        + filename.replace(b'"', b"")
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + data
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def send(client, url: str, fields: dict[str, str], filename: bytes, field: str = "photos"):  # type: ignore[no-untyped-def]
    data = SAMPLE.read_bytes() if field == "file" else jpeg(size=(64, 48))
    body = multipart({**fields, "csrf_token": csrf_token(client)}, field, filename, data)
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    return client.post(url, content=body, headers=headers, follow_redirects=False)


def stored_names(db) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        *db.exec(select(Attachment.filename)).all(),
        *db.exec(select(PendingUpload.filename)).all(),
        *db.exec(select(LedgerUpload.filename)).all(),
    ]


def assert_kept_clean(db) -> None:  # type: ignore[no-untyped-def]
    names = stored_names(db)
    assert names, "the file was kept"
    for name in names:
        assert len(name) <= 255 and not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in name)
        assert name.isprintable(), repr(name[:40])


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_a_public_photo_with_any_name_is_taken(client, db, name):
    answer = send(client, "/r", FORM, name)
    assert answer.status_code == 200 and "受理编号" in answer.text
    assert_kept_clean(db)


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_staff_photos_with_any_name_are_taken_or_kept_for_the_form(client, db, name):
    me = make_officer(db)
    project = make_project(db, officer=me)
    login_as(client, db, Role.OFFICER, officer=me)
    hazard = {
        "category": "消防安全",
        "level": "一般",
        "description": "灭火器过期",
        "found_on": today().isoformat(),
    }
    entry = {"amount": "12.30", "recovered_on": today().isoformat(), "source": "其他"}
    for url, fields in (
        (f"/projects/{project.id}/hazards", hazard),
        (f"/projects/{project.id}/hazards", {}),  # refused: the photo is kept for the form
        (f"/projects/{project.id}/recoveries", entry),
        ("/requests/new", {}),
    ):
        answer = send(client, url, fields, name)
        assert answer.status_code in (303, 422), (url, answer.status_code)
    assert_kept_clean(db)


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_a_ledger_with_any_name_is_checked(client, db, name):
    login_as(client, db, Role.ADMIN)
    answer = send(client, "/ledger/check", {}, name, field="file")
    assert answer.status_code == 303, answer.status_code
    assert_kept_clean(db)
