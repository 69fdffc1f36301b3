"""The attachment service the domains share: check a file by its content, re-encode images
for display without EXIF/GPS, store it behind `BlobStore`, and find who may read it."""

import hashlib
import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlmodel import Session, col, func, select

from liaison.attachments.models import Attachment, AttachmentBlob

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_RECORD = 9
MAX_PIXELS = 40_000_000  # larger images are refused as likely decompression bombs
DISPLAY_EDGE = 1600

# Magic numbers: the type is what the content is, never what the name says.
SIGNATURES: list[tuple[str, Callable[[bytes], bool]]] = [
    ("image/jpeg", lambda b: b.startswith(b"\xff\xd8\xff")),
    ("image/png", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    ("image/webp", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
    ("application/pdf", lambda b: b.startswith(b"%PDF-")),
]
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}


class AttachmentError(ValueError):
    """A refused file, with a message in Chinese naming it."""


class BlobStore(Protocol):
    """Where the bytes live. The database today; object storage could implement the same."""

    def put(self, session: Session, attachment_id: int, variant: str, data: bytes) -> None: ...

    def get(self, session: Session, attachment_id: int, variant: str) -> bytes | None: ...

    def delete(self, session: Session, attachment_id: int) -> None: ...


class DatabaseBlobStore:
    def put(self, session: Session, attachment_id: int, variant: str, data: bytes) -> None:
        session.add(AttachmentBlob(attachment_id=attachment_id, variant=variant, data=data))

    def get(self, session: Session, attachment_id: int, variant: str) -> bytes | None:
        blob = session.get(AttachmentBlob, (attachment_id, variant))
        return blob.data if blob else None

    def delete(self, session: Session, attachment_id: int) -> None:
        session.execute(
            sa.delete(AttachmentBlob).where(col(AttachmentBlob.attachment_id) == attachment_id)
        )


store: BlobStore = DatabaseBlobStore()


def sniff(data: bytes) -> str | None:
    return next((kind for kind, matches in SIGNATURES if matches(data)), None)


def safe_filename(name: str, content_type: str) -> str:
    """The uploader's name without any path, control characters or a misleading extension."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", base).strip(" .") or "file"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return stem[:120] + EXTENSIONS[content_type]


@dataclass
class Checked:
    content_type: str
    display: bytes | None
    width: int | None
    height: int | None


def check(name: str, data: bytes) -> Checked:
    """Accept JPEG, PNG, WebP and PDF by content; decode images fully and re-encode them."""
    label = name or "文件"
    if not data:
        raise AttachmentError(f"{label} 是空文件")
    if len(data) > MAX_BYTES:
        raise AttachmentError(f"{label} 超过 10 MB")
    content_type = sniff(data)
    if content_type is None:
        raise AttachmentError(f"{label} 不是 JPEG、PNG、WebP 图片或 PDF 文件")
    if content_type == "application/pdf":
        return Checked(content_type, None, None, None)
    display, width, height = _display_copy(label, data)
    return Checked(content_type, display, width, height)


def _display_copy(label: str, data: bytes) -> tuple[bytes, int, int]:
    """Re-encode as JPEG at most DISPLAY_EDGE wide, upright, with no metadata at all."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"]) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise AttachmentError(f"{label} 的像素过多")
                image.load()
                upright = ImageOps.exif_transpose(image)
                width, height = upright.size
                upright.thumbnail((DISPLAY_EDGE, DISPLAY_EDGE))
                clean = Image.new("RGB", upright.size, "white")
                clean.paste(upright.convert("RGBA"), mask=upright.convert("RGBA").getchannel("A"))
    except (
        UnidentifiedImageError,
        OSError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise AttachmentError(f"{label} 已损坏或无法识别") from None
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue(), width, height


def count(session: Session, owner_type: str, owner_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(Attachment)
        .where(Attachment.owner_type == owner_type, Attachment.owner_id == owner_id)
    ).one()


def add(
    session: Session,
    *,
    owner_type: str,
    owner_id: int,
    files: list[tuple[str, bytes]],
    tag: str = "",
    uploaded_by_id: int | None = None,
) -> list[Attachment]:
    """Check every file first, then store them all; one bad file stores none."""
    checked = [(name, data, check(name, data)) for name, data in files]
    if count(session, owner_type, owner_id) + len(checked) > MAX_PER_RECORD:
        raise AttachmentError(f"每条记录最多 {MAX_PER_RECORD} 个附件")
    saved = []
    for name, data, result in checked:
        attachment = Attachment(
            owner_type=owner_type,
            owner_id=owner_id,
            tag=tag,
            filename=safe_filename(name, result.content_type),
            content_type=result.content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            width=result.width,
            height=result.height,
            uploaded_by_id=uploaded_by_id,
        )
        session.add(attachment)
        session.flush()
        store.put(session, attachment.id or 0, "original", data)
        if result.display is not None:
            store.put(session, attachment.id or 0, "display", result.display)
        saved.append(attachment)
    session.flush()
    return saved


def remove(session: Session, owner_type: str, owner_ids: list[int]) -> int:
    """Delete the files of these records, bytes and all (retention); how many there were."""
    found = session.exec(
        select(Attachment).where(
            Attachment.owner_type == owner_type, col(Attachment.owner_id).in_(owner_ids)
        )
    ).all()
    for attachment in found:
        store.delete(session, attachment.id or 0)
        session.delete(attachment)
    session.flush()
    return len(found)


def for_owner(session: Session, owner_type: str, owner_id: int) -> list[Attachment]:
    return list(
        session.exec(
            select(Attachment)
            .where(Attachment.owner_type == owner_type, Attachment.owner_id == owner_id)
            .order_by(col(Attachment.id))
        ).all()
    )


# Each domain that owns attachments says how to find the owner a user may see. The resolver
# returns the owner record or raises 404 (through the object checks of auth/permissions).
# liaison/wiring.py fills the table.
OwnerResolver = Callable[[Session, int, object], object]
owners: dict[str, OwnerResolver] = {}
