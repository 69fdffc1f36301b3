"""Serving attachments: only through this access-checked route, with the right type and
Content-Disposition, in a sandbox. And the files of a refused form, kept for it (pending
uploads): read from the form, kept after a refusal, served to their owner only."""

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from liaison.attachments import service
from liaison.attachments.models import Attachment, PendingUpload
from liaison.auth.deps import Principal, StaffDep, require
from liaison.auth.roles import Role
from liaison.db import SessionDep

router = APIRouter()
ReaderDep = Annotated[
    Principal,
    Depends(require(Role.ADMIN, Role.LEADER, Role.CHIEF, Role.OFFICER, Role.ENTERPRISE)),
]
# The original upload (with its EXIF and GPS) is for those who handle the record, not readers.
ORIGINAL_ROLES = (Role.ADMIN, Role.LEADER, Role.CHIEF)


def _visible_attachment(
    session: SessionDep, principal: Principal, attachment_id: int
) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    resolve = service.owners.get(attachment.owner_type) if attachment else None
    if attachment is None or resolve is None:
        raise HTTPException(status_code=404)
    resolve(session, attachment.owner_id, principal.scope)  # 404 when out of scope
    return attachment


def uploads(form: Any) -> list[tuple[str, bytes]]:
    """The files chosen in a form's `photos` input; an input left empty sends a nameless part,
    skipped. Each is read to one byte past the limit, so an oversized file is caught, not read.
    Read from its spooled file in the route's worker thread (a route is a plain `def`), as the
    photos are then decoded there: neither on the event loop."""
    files = []
    for upload in form.getlist("photos"):
        if isinstance(upload, UploadFile) and upload.filename:
            files.append((upload.filename, upload.file.read(service.MAX_BYTES + 1)))
    return files


PENDING_FIELD = "pending"  # hidden inputs: the tokens of the files kept from a refusal
DROP_FIELD = "pending_drop"  # ticked boxes: kept files the person no longer wants


@dataclass
class Kept:
    """A pending upload as its form shows it: thumbnail, name, and the token to send back."""

    token: str
    filename: str
    is_image: bool


@dataclass
class Photos:
    """The files a form brings: those chosen now, and those kept for it from a refusal (sent
    back by token, found only for their `holder`)."""

    holder: service.Holder
    chosen: list[tuple[str, bytes]]
    kept: list[PendingUpload]
    tokens: list[str] = field(default_factory=list)
    dropped: set[str] = field(default_factory=set)

    @property
    def files(self) -> list[tuple[str, bytes]]:
        """Everything to attach: the kept files first, as they were chosen first."""
        return service.pending_files(self.kept) + self.chosen


def _strings(form: Any, name: str) -> list[str]:
    return [v[:64] for v in form.getlist(name) if isinstance(v, str)]


def _still_kept(
    session: Session, holder: service.Holder, tokens: list[str], dropped: set[str]
) -> list[PendingUpload]:
    """The holder's files among `tokens`; those whose box to drop is ticked are removed."""
    found = service.pending_for(session, holder, [*tokens, *dropped])
    service.drop_pending(session, [p for p in found if p.token in dropped])
    return [p for p in found if p.token not in dropped]


def form_photos(session: Session, form: Any, holder: service.Holder) -> Photos:
    """The photos a form sends: chosen now, and kept for `holder` (by the tokens it sends)."""
    tokens, dropped = _strings(form, PENDING_FIELD), set(_strings(form, DROP_FIELD))
    kept = _still_kept(session, holder, tokens, dropped)
    return Photos(holder, uploads(form), kept, [p.token for p in kept], dropped)


def attached(session: Session, photos: Photos) -> None:
    """The kept files are now the record's: their pending rows go, in its transaction."""
    service.drop_pending(session, photos.kept)


def keep(
    session: Session,
    photos: Photos,
    errors: dict[str, str],
    field: str = "photos",
    *,
    existing: int = 0,
    hold_chosen: bool = True,
) -> list[Kept]:
    """After a refusal, perhaps rolled back: keep the files chosen now beside those kept
    before (`existing` more belong to the record already), for the form shown again. A file
    that fails the checks keeps none of those chosen now, said beside `field`. The caller
    commits."""
    # Looked up again, not taken from `photos.kept`: the refusal may have rolled the session
    # back, which expires those rows and undoes the drops `form_photos` made.
    kept = _still_kept(session, photos.holder, photos.tokens, photos.dropped)
    if photos.chosen and hold_chosen:
        try:
            kept += service.hold(
                session, photos.holder, photos.chosen, already=existing + len(kept)
            )
        except service.AttachmentError as exc:
            errors.setdefault(field, str(exc))
    return [Kept(p.token, p.filename, p.content_type.startswith("image/")) for p in kept]


def pending_file(pending: PendingUpload | None) -> Response:
    """A kept file for its owner: the display copy of an image, a PDF as uploaded."""
    if pending is None:
        raise HTTPException(status_code=404)
    if pending.display is not None:
        name = pending.filename.rsplit(".", 1)[0] + ".jpg"
        return _file(pending.display, "image/jpeg", name, "inline")
    return _file(pending.data, pending.content_type, pending.filename, "inline")


def _file(data: bytes, content_type: str, filename: str, disposition: str) -> Response:
    return Response(
        data,
        media_type=content_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@router.get("/attachments/{attachment_id}")
def attachment_display(session: SessionDep, principal: ReaderDep, attachment_id: int) -> Response:
    """The display copy of an image (no EXIF, no GPS), or a PDF as uploaded."""
    attachment = _visible_attachment(session, principal, attachment_id)
    if attachment.content_type == "application/pdf":
        data = service.store.get(session, attachment_id, "original")
        return _file(data or b"", attachment.content_type, attachment.filename, "inline")
    data = service.store.get(session, attachment_id, "display")
    name = attachment.filename.rsplit(".", 1)[0] + ".jpg"
    return _file(data or b"", "image/jpeg", name, "inline")


@router.get("/attachments/{attachment_id}/original")
def attachment_original(session: SessionDep, principal: ReaderDep, attachment_id: int) -> Response:
    attachment = _visible_attachment(session, principal, attachment_id)
    if principal.role not in ORIGINAL_ROLES and attachment.uploaded_by_id != principal.user.id:
        raise HTTPException(status_code=403)
    data = service.store.get(session, attachment_id, "original")
    return _file(data or b"", attachment.content_type, attachment.filename, "attachment")


@router.get("/uploads/pending/{token}")
def pending_upload(session: SessionDep, principal: StaffDep, token: str) -> Response:
    """A file kept from this login's refused form; anyone else's token is not found."""
    return pending_file(
        service.pending_owned(session, token[:64], user_id=principal.user.id, browser="")
    )
