"""Serving attachments: only through this access-checked route, with the right type and
Content-Disposition, in a sandbox."""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from liaison.attachments import service
from liaison.attachments.models import Attachment
from liaison.auth.deps import Principal, require
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


async def uploads(form: Any) -> list[tuple[str, bytes]]:
    """The files chosen in a form's `photos` input; an input left empty sends a nameless part,
    skipped. Each is read to one byte past the limit, so an oversized file is caught, not read."""
    files = []
    for upload in form.getlist("photos"):
        if isinstance(upload, UploadFile) and upload.filename:
            files.append((upload.filename, await upload.read(service.MAX_BYTES + 1)))
    return files


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
