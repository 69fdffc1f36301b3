"""Attachments: recognised by content, limits, EXIF and GPS removed for display, access."""

import io

import pytest
from PIL import Image
from sqlmodel import select

from liaison.attachments import service
from liaison.attachments.models import Attachment, AttachmentBlob
from liaison.auth.roles import Role
from liaison.hazards.models import Hazard
from tests.factories import login_as, make_hazard, make_officer, make_project, make_station, post
from tests.images import EXECUTABLE, HTML_AS_JPEG, jpeg, pdf, png


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("photo.jpg", EXECUTABLE, "不是 JPEG"),
        ("photo.jpg", HTML_AS_JPEG, "不是 JPEG"),
        ("empty.jpg", b"", "空文件"),
        ("big.jpg", b"\xff\xd8\xff" + b"\x00" * service.MAX_BYTES, "超过 10 MB"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 20, "已损坏"),
    ],
)
def test_bad_files_are_refused_by_content(name, data, message):
    with pytest.raises(service.AttachmentError, match=message):
        service.check(name, data)


def test_a_png_named_jpg_is_stored_as_png(db):
    [saved] = service.add(db, owner_type="hazard", owner_id=1, files=[("look.jpg", png())])
    assert saved.content_type == "image/png" and saved.filename == "look.png"


def test_paths_in_names_cannot_escape(db):
    [saved] = service.add(
        db, owner_type="hazard", owner_id=1, files=[("../../etc/passwd.pdf", pdf())]
    )
    assert saved.filename == "passwd.pdf" and saved.content_type == "application/pdf"


def test_a_decompression_bomb_is_refused():
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")  # tiny file, 81 million pixels
    with pytest.raises(service.AttachmentError):
        service.check("bomb.png", out.getvalue())


def test_the_display_copy_has_no_exif_and_the_original_keeps_it(db):
    original = jpeg(gps=True)
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(0x8825)  # the test photo really has GPS
    [saved] = service.add(db, owner_type="hazard", owner_id=1, files=[("gps.jpg", original)])
    display = db.get(AttachmentBlob, (saved.id, "display")).data
    with Image.open(io.BytesIO(display)) as image:
        assert not image.getexif() and "exif" not in image.info
    assert db.get(AttachmentBlob, (saved.id, "original")).data == original


def test_a_tenth_file_is_refused_and_none_of_the_batch_is_stored(db):
    service.add(db, owner_type="hazard", owner_id=7, files=[(f"{n}.png", png()) for n in range(8)])
    with pytest.raises(service.AttachmentError, match="最多 9 个"):
        service.add(
            db, owner_type="hazard", owner_id=7, files=[("9.png", png()), ("10.png", png())]
        )
    assert service.count(db, "hazard", 7) == 8


@pytest.fixture
def photo(db):
    station = make_station(db)
    finder = make_officer(db, station)
    project = make_project(db, station, officer=finder)
    hazard = make_hazard(db, project, finder, photos=[("现场.jpg", jpeg())])
    attachment = db.exec(select(Attachment).where(Attachment.owner_id == hazard.id)).one()
    return {"station": station, "attachment": attachment, "hazard": hazard}


def test_photos_are_served_stripped_with_safe_headers(client, db, photo):
    login_as(client, db, Role.OFFICER, officer=make_officer(db, photo["station"]))
    response = client.get(f"/attachments/{photo['attachment'].id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-disposition"].startswith("inline; filename*=UTF-8''")
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    with Image.open(io.BytesIO(response.content)) as image:
        assert not image.getexif()
    # The original, with its GPS, only for those who handle the record.
    assert client.get(f"/attachments/{photo['attachment'].id}/original").status_code == 403


def test_another_stations_photo_is_404(client, db, photo):
    login_as(client, db, Role.OFFICER, officer=make_officer(db, make_station(db)))
    assert client.get(f"/attachments/{photo['attachment'].id}").status_code == 404
    assert client.get(f"/attachments/{photo['attachment'].id}/original").status_code == 404


def test_chief_downloads_the_original_as_an_attachment(client, db, photo):
    login_as(client, db, Role.CHIEF, officer=make_officer(db, photo["station"]))
    response = client.get(f"/attachments/{photo['attachment'].id}/original")
    assert response.status_code == 200 and response.headers["content-disposition"].startswith(
        "attachment;"
    )


def test_an_oversized_request_is_refused_before_it_is_read(client, db):
    login_as(client, db, Role.LEADER)
    response = post(client, "/account/password", {"current_password": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_hazard_logged_with_an_executable_saves_nothing(client, db):
    station = make_station(db)
    me = make_officer(db, station)
    project = make_project(db, station, officer=me)
    login_as(client, db, Role.OFFICER, officer=me)
    response = client.post(
        f"/projects/{project.id}/hazards",
        data={
            "csrf_token": client.cookies["liaison_csrf"],
            "category": "消防安全",
            "level": "一般",
            "description": "灭火器过期",
            "found_on": "2026-11-01",
        },
        files=[("photos", ("photo.jpg", EXECUTABLE, "image/jpeg"))],
    )
    assert response.status_code == 422 and "不是 JPEG" in response.text
    assert db.exec(select(Hazard)).all() == [] and db.exec(select(Attachment)).all() == []
