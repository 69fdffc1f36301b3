"""Photos chosen on a refused form are kept for it (pending uploads): shown again, attached
when the corrected form is sent, for their owner only, and gone when they expire."""

import io
import re

from PIL import Image
from sqlmodel import func, select

from liaison.attachments import service
from liaison.attachments.models import Attachment, PendingUpload
from liaison.auth.roles import Role
from liaison.clock import today
from liaison.config import get_settings
from liaison.desk import retention
from liaison.desk.models import ServiceRequest
from liaison.hazards.models import Hazard
from liaison.recoveries.models import Recovery
from tests.desk.test_public import FORM
from tests.factories import (
    login_as,
    make_hazard,
    make_officer,
    make_project,
    make_station,
    post,
    second_browser,
)
from tests.images import EXECUTABLE, jpeg, pdf, png

TOKEN = re.compile(r'name="pending" value="([^"]+)"')


def pending_count(db) -> int:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.exec(select(func.count()).select_from(PendingUpload)).one()


def attachments_of(db, owner_type: str, owner_id: int) -> list[Attachment]:  # type: ignore[no-untyped-def]
    db.expire_all()
    return service.for_owner(db, owner_type, owner_id)


# ---- the public request form -----------------------------------------------------------


def refused_request(client):  # type: ignore[no-untyped-def]
    """The public form sent with a photo and no consent: refused, the photo kept."""
    response = post(
        client,
        "/r",
        {**FORM, "consent": ""},
        files=[("photos", ("工地.jpg", jpeg(), "image/jpeg"))],
    )
    assert response.status_code == 422 and "请阅读并勾选个人信息处理告知" in response.text
    return response


def test_a_refused_request_keeps_its_photo_and_the_corrected_one_attaches_it(client, db):
    refused = refused_request(client)
    [token] = TOKEN.findall(refused.text)
    assert 'data-testid="kept-photos"' in refused.text and "工地.jpg" in refused.text
    assert f'src="/r/pending/{token}"' in refused.text
    thumbnail = client.get(f"/r/pending/{token}")
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"
    assert "sandbox" in thumbnail.headers["content-security-policy"]
    with Image.open(io.BytesIO(thumbnail.content)) as image:
        assert not image.getexif()  # the display copy, without GPS

    done = post(client, "/r", {**FORM, "pending": token})
    assert done.status_code == 200 and 'data-testid="tracking-no"' in done.text
    request = db.exec(select(ServiceRequest)).one()
    [photo] = attachments_of(db, "request", request.id)
    assert photo.filename == "工地.jpg" and photo.content_type == "image/jpeg"
    assert pending_count(db) == 0


def test_another_browser_can_neither_see_nor_attach_a_kept_photo(client, db):
    [token] = TOKEN.findall(refused_request(client).text)
    other = second_browser(client)
    assert other.get(f"/r/pending/{token}").status_code == 404
    done = post(other, "/r", {**FORM, "pending": token})
    assert done.status_code == 200
    request = db.exec(select(ServiceRequest)).one()
    assert attachments_of(db, "request", request.id) == []
    assert pending_count(db) == 1  # still its owner's
    # Nor may a login see a photo kept for an anonymous browser.
    login_as(other, db, Role.LEADER)
    assert other.get(f"/uploads/pending/{token}").status_code == 404


def test_a_kept_photo_can_be_dropped_and_new_ones_added(client, db):
    [token] = TOKEN.findall(refused_request(client).text)
    again = post(
        client,
        "/r",
        {**FORM, "consent": "", "pending": token, "pending_drop": token},
        files=[("photos", ("新.png", png(), "image/png"))],
    )
    assert again.status_code == 422
    [kept] = TOKEN.findall(again.text)
    assert kept != token and "新.png" in again.text and "工地.jpg" not in again.text
    assert client.get(f"/r/pending/{token}").status_code == 404
    post(client, "/r", {**FORM, "pending": kept})
    request = db.exec(select(ServiceRequest)).one()
    # The public's photo is kept as its clean JPEG copy only (no original, no EXIF).
    assert [a.filename for a in attachments_of(db, "request", request.id)] == ["新.jpg"]


def test_a_kept_file_passed_the_attachment_checks_when_received(client, db):
    refused = post(
        client,
        "/r",
        {**FORM, "consent": ""},
        files=[
            ("photos", ("好.jpg", jpeg(), "image/jpeg")),
            ("photos", ("坏.jpg", EXECUTABLE, "image/jpeg")),
        ],
    )
    assert refused.status_code == 422 and re.search(r'id="e-photos">坏.jpg 不是 JPEG', refused.text)
    assert TOKEN.findall(refused.text) == [] and pending_count(db) == 0


def test_kept_and_new_photos_count_together_against_the_limit(client, db):
    many = [("photos", (f"{n}.png", png(), "image/png")) for n in range(8)]
    first = post(client, "/r", {**FORM, "consent": ""}, files=many)
    tokens = TOKEN.findall(first.text)
    assert len(tokens) == 8
    two_more = [("photos", (f"x{n}.png", png(), "image/png")) for n in range(2)]
    again = post(client, "/r", {**FORM, "consent": "", "pending": tokens}, files=two_more)
    assert again.status_code == 422 and "最多 9 个" in again.text
    assert len(TOKEN.findall(again.text)) == 8 and pending_count(db) == 8


def test_kept_photos_expire(client, db, travel):
    [token] = TOKEN.findall(refused_request(client).text)
    travel.advance(hours=2, minutes=1)
    assert client.get(f"/r/pending/{token}").status_code == 404
    post(client, "/r", {**FORM, "pending": token})
    request = db.exec(select(ServiceRequest)).one()
    assert attachments_of(db, "request", request.id) == []
    assert pending_count(db) == 0  # removed when the next form came


def test_expired_pending_uploads_are_purged(db, travel):
    holder = service.Holder(form="desk:", browser=service.browser_identity("cookie"))
    service.hold(db, holder, [("a.png", png())])
    db.commit()
    assert service.purge_expired_pending(db) == 0
    travel.advance(hours=3)
    assert service.purge_expired_pending(db) == 1
    assert pending_count(db) == 0


def test_the_nightly_retention_run_purges_what_nobody_came_back_for(db, travel):
    holder = service.Holder(form="desk:", browser=service.browser_identity("cookie"))
    service.hold(db, holder, [("a.png", png())])
    db.commit()
    travel.advance(hours=3)
    retention.run(db, get_settings())
    assert pending_count(db) == 0


def test_a_browser_without_a_cookie_holds_nothing(db):
    with_no_browser = service.Holder(form="desk:")
    assert service.pending_for(db, with_no_browser, ["anything"]) == []
    assert service.pending_owned(db, "anything", user_id=None, browser="") is None


# ---- the hazard report form ------------------------------------------------------------


def hazard_setup(client, db):  # type: ignore[no-untyped-def]
    station = make_station(db)
    me = make_officer(db, station)
    project = make_project(db, station, officer=me)
    login_as(client, db, Role.OFFICER, officer=me)
    return station, me, project


HAZARD = {"category": "消防安全", "level": "一般", "found_on": "2026-11-01"}


def test_a_refused_hazard_keeps_its_photo_and_the_corrected_one_attaches_it(client, db):
    _station, _me, project = hazard_setup(client, db)
    url = f"/projects/{project.id}/hazards"
    refused = post(client, url, HAZARD, files=[("photos", ("现场.jpg", jpeg(), "image/jpeg"))])
    assert refused.status_code == 422 and 'id="e-description"' in refused.text
    [token] = TOKEN.findall(refused.text)
    assert f'src="/uploads/pending/{token}"' in refused.text and "现场.jpg" in refused.text
    assert client.get(f"/uploads/pending/{token}").status_code == 200

    done = post(
        client,
        url,
        {**HAZARD, "description": "灭火器过期", "pending": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    hazard = db.exec(select(Hazard)).one()
    [photo] = attachments_of(db, "hazard", hazard.id)
    assert (photo.filename, photo.tag) == ("现场.jpg", "before")
    assert pending_count(db) == 0


def test_another_login_cannot_use_a_kept_hazard_photo(client, db):
    station, _me, project = hazard_setup(client, db)
    url = f"/projects/{project.id}/hazards"
    refused = post(client, url, HAZARD, files=[("photos", ("现场.jpg", jpeg(), "image/jpeg"))])
    [token] = TOKEN.findall(refused.text)
    other = second_browser(client)
    colleague = make_officer(db, station)
    login_as(other, db, Role.OFFICER, officer=colleague)
    assert other.get(f"/uploads/pending/{token}").status_code == 404
    done = post(
        other,
        url,
        {**HAZARD, "description": "灭火器过期", "pending": token},
        follow_redirects=False,
    )
    assert done.status_code == 303  # logged, without the photo that is not theirs
    hazard = db.exec(select(Hazard)).one()
    assert attachments_of(db, "hazard", hazard.id) == []
    assert pending_count(db) == 1
    assert post(other, "/r", {**FORM, "pending": token}).status_code == 200
    request = db.exec(select(ServiceRequest)).one()
    assert attachments_of(db, "request", request.id) == []


def test_a_token_kept_for_one_form_is_ignored_on_another(client, db):
    station, me, project = hazard_setup(client, db)
    refused = post(
        client,
        f"/projects/{project.id}/hazards",
        HAZARD,
        files=[("photos", ("现场.jpg", jpeg(), "image/jpeg"))],
    )
    [token] = TOKEN.findall(refused.text)
    other_project = make_project(db, station, officer=me)
    post(
        client,
        f"/projects/{other_project.id}/hazards",
        {**HAZARD, "description": "灭火器过期", "pending": token},
    )
    hazard = db.exec(select(Hazard)).one()
    assert attachments_of(db, "hazard", hazard.id) == [] and pending_count(db) == 1


def test_a_refused_step_keeps_its_after_photo(client, db):
    station = make_station(db)
    me = make_officer(db, station)
    project = make_project(db, station, officer=me)
    hazard = make_hazard(db, project, me)
    login_as(client, db, Role.OFFICER, officer=me)
    url = f"/hazards/{hazard.id}/steps"
    refused = post(
        client,
        url,
        {"action": "start", "comment": " "},
        files=[("photos", ("整改后.jpg", jpeg(), "image/jpeg"))],
    )
    assert refused.status_code == 422 and "请填写说明" in refused.text
    [token] = TOKEN.findall(refused.text)
    done = post(
        client,
        url,
        {"action": "start", "comment": "已更换灭火器", "pending": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    [photo] = [a for a in attachments_of(db, "hazard", hazard.id) if a.tag == "after"]
    assert photo.filename == "整改后.jpg" and pending_count(db) == 0


# ---- the recovery form -----------------------------------------------------------------


def test_a_refused_recovery_keeps_its_evidence(client, db):
    _station, _me, project = hazard_setup(client, db)
    url = f"/projects/{project.id}/recoveries"
    entry = {"recovered_on": today().isoformat(), "source": "其他", "submission_key": "k1"}
    refused = post(
        client,
        url,
        {**entry, "amount": "0"},
        files=[("photos", ("回单.pdf", pdf(), "application/pdf"))],
    )
    assert refused.status_code == 422 and 'id="e-amount"' in refused.text
    [token] = TOKEN.findall(refused.text)
    assert "回单.pdf" in refused.text
    served = client.get(f"/uploads/pending/{token}")
    assert served.status_code == 200 and served.headers["content-type"] == "application/pdf"
    done = post(client, url, {**entry, "amount": "12.50", "pending": token}, follow_redirects=False)
    assert done.status_code == 303
    recovery = db.exec(select(Recovery)).one()
    [evidence] = attachments_of(db, "recovery", recovery.id)
    assert (evidence.filename, evidence.tag) == ("回单.pdf", "evidence")
    assert pending_count(db) == 0
