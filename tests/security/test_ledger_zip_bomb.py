"""Issue 18, finding 13: a zip bomb in a ledger upload (199 KB unpacking to 200 MB) took
1.4 GB of memory. What a zip (an .xlsx too) declares it unpacks to is capped, in all and
against its own size, before any of it is read."""

import io
import resource
import zipfile

from liaison.auth.roles import Role
from tests.factories import login_as, post


def bomb(unpacked_mb: int, inner: str = "重点项目.csv") -> bytes:
    out = io.BytesIO()
    packing = {"compression": zipfile.ZIP_DEFLATED, "compresslevel": 9}
    with zipfile.ZipFile(out, "w", **packing) as archive, archive.open(inner, "w") as member:
        for _ in range(unpacked_mb):
            member.write(b"0" * 1024 * 1024)
    return out.getvalue()


def test_a_zip_that_unpacks_a_thousand_fold_is_refused_unread(client, db):
    login_as(client, db, Role.LEADER)
    data = bomb(40)
    assert len(data) < 100 * 1024  # 40 MB of zeros in a few dozen KB
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    response = post(client, "/ledger/check", files={"file": ("台账.zip", data, "application/zip")})
    assert response.status_code == 422 and "压缩比异常" in response.text
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown_kb < 40 * 1024  # not unpacked into memory


def test_an_xlsx_is_held_to_the_same_caps(client, db):
    login_as(client, db, Role.LEADER)
    data = bomb(40, inner="xl/worksheets/sheet1.xml")
    with zipfile.ZipFile(io.BytesIO(data), "a") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    response = post(client, "/ledger/check", files={"file": ("台账.xlsx", data, "application/zip")})
    assert response.status_code == 422 and "压缩比异常" in response.text
