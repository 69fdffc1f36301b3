"""Issue 18, finding 16: the 9-attachment limit was passed across two processes (10 stored):
both counted before either stored. The count and the insert now hold one at a time per
record, whatever the process."""

import contextlib
import threading

from sqlmodel import Session, func, select

from liaison.attachments import service
from liaison.attachments.models import Attachment
from liaison.db import get_engine
from tests.images import png


def test_two_uploads_at_once_cannot_pass_the_limit_together(db, monkeypatch):
    counted = threading.Barrier(2)
    counting = service.count

    def count_then_meet(session, owner_type, owner_id):  # type: ignore[no-untyped-def]
        found = counting(session, owner_type, owner_id)
        # Let the other upload count too, if it can get that far before this one stores.
        with contextlib.suppress(threading.BrokenBarrierError):
            counted.wait(timeout=2)
        return found

    monkeypatch.setattr(service, "count", count_then_meet)
    stored, refused = [], []

    def upload() -> None:
        with Session(get_engine()) as session:
            try:
                files = [(f"{n}.png", png()) for n in range(5)]
                service.add(session, owner_type="hazard", owner_id=1, files=files)
                session.commit()
                stored.append(1)
            except service.AttachmentError:
                refused.append(1)

    uploads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in uploads:
        thread.start()
    for thread in uploads:
        thread.join()
    total = db.exec(select(func.count()).select_from(Attachment)).one()
    assert (stored, refused, total) == ([1], [1], 5)
