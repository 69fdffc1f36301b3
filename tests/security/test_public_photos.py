"""Issue 18, findings 1 and 9: the public form's photos. A form of images with too many pixels
between them is refused before any is decoded; what is decoded is decoded off the event loop
(nine large PNGs held /healthz for 10 s); and a photo the public sends keeps no original, so
the place it was taken (its EXIF GPS) is stored nowhere, nor served to anyone."""

import io
import threading
import time

import httpx
from PIL import Image
from sqlmodel import select

from liaison.attachments.models import Attachment
from liaison.auth.roles import Role
from tests.desk.test_public import FORM
from tests.factories import login_as, post
from tests.images import GPS_IFD, jpeg
from tests.security.test_bodies import server  # noqa: F401 (the fixture: a real server)


def big_png(edge: int) -> bytes:
    """A tiny file of `edge`² pixels: cheap to send, dear to decode."""
    out = io.BytesIO()
    Image.new("L", (edge, edge)).save(out, "PNG")
    return out.getvalue()


def test_a_form_of_too_many_pixels_is_refused_before_decoding(client, db):
    files = [("photos", (f"大图{n}.png", big_png(6300), "image/png")) for n in range(9)]
    started = time.monotonic()
    refused = post(client, "/r", FORM, files=files)
    assert refused.status_code == 422 and "像素总量过大" in refused.text
    assert time.monotonic() - started < 5  # nothing decoded: the headers were enough
    assert db.exec(select(Attachment)).all() == []


def test_the_server_answers_others_while_it_decodes_a_public_form(server):  # noqa: F811
    host, port = server
    base = f"http://{host}:{port}"
    with httpx.Client(base_url=base) as browser:
        page = browser.get("/r")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        # Three just under the single limit: within the form's too, so all three are decoded.
        files = [("photos", (f"大图{n}.png", big_png(6300), "image/png")) for n in range(3)]
        data = {**FORM, "csrf_token": token}
        sending = threading.Thread(target=lambda: browser.post("/r", data=data, files=files))
        sending.start()
        slowest = 0.0
        while sending.is_alive():
            started = time.monotonic()
            assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.05)
        sending.join()
    assert slowest < 0.5, f"/healthz waited {slowest:.1f} s behind the decoding"


def test_a_public_photo_keeps_no_original_and_no_gps(client, db):
    photo = jpeg(gps=True, size=(640, 480))
    assert GPS_IFD in Image.open(io.BytesIO(photo)).getexif()  # the phone recorded where
    sent = post(client, "/r", FORM, files=[("photos", ("现场.jpg", photo, "image/jpeg"))])
    assert sent.status_code == 200 and "受理编号" in sent.text
    attachment = db.exec(select(Attachment)).one()
    login_as(client, db, Role.LEADER)
    original = client.get(f"/attachments/{attachment.id}/original")
    assert original.status_code == 200 and original.content != photo
    kept = Image.open(io.BytesIO(original.content))
    assert kept.format == "JPEG" and GPS_IFD not in kept.getexif() and not kept.getexif()
