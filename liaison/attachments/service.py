"""The attachment service the domains share: check a file by its content, re-encode images
for display without EXIF/GPS, store it behind `BlobStore`, and find who may read it."""

import hashlib
import io
import re
import secrets
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import defer
from sqlmodel import Session, col, func, select

from liaison.attachments.models import Attachment, AttachmentBlob, PendingUpload
from liaison.clock import now
from liaison.db import one_at_a_time

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_RECORD = 9
MAX_PIXELS = 40_000_000  # larger images are refused as likely decompression bombs
# And all the images of one form together: nine photos of a 12-megapixel phone pass, nine
# near the single limit (a megabyte of PNGs, 350 million pixels to decode) do not.
MAX_PIXELS_PER_FORM = 120_000_000
DISPLAY_EDGE = 1600
# A refused form's photos are kept this long for the person to correct it and send it again.
PENDING_LIFETIME = timedelta(hours=2)

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


NOT_KEPT = "照片未能保留，请重新选择"  # said beside the field when a form's photos cannot be held


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


def clean_name(name: str, limit: int = 255) -> str:
    """An uploaded file's name as it can be shown and stored: without its folders, without
    control characters (a NUL, which PostgreSQL's text cannot hold: a 500; a terminal's escapes)
    or characters Windows refuses in a name, its last `limit` characters at most (the extension
    stays). Empty when nothing is left. Every form that takes a file names it through this."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in base if c.isprintable() and c not in '"<>|:*?')
    return base.strip(" .")[-limit:].lstrip(" .")


def safe_filename(name: str, content_type: str) -> str:
    """The uploader's name without any path, control characters or a misleading extension."""
    base = clean_name(name) or "file"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return stem[:120] + EXTENSIONS[content_type]


@dataclass
class Checked:
    content_type: str
    display: bytes | None
    width: int | None
    height: int | None


def check(name: str, data: bytes, *, photos_only: bool = False) -> Checked:
    """Accept JPEG, PNG, WebP and (unless `photos_only`) PDF by content; decode images fully
    and re-encode them."""
    label = name or "文件"
    if not data:
        raise AttachmentError(f"{label} 是空文件")
    if len(data) > MAX_BYTES:
        raise AttachmentError(f"{label} 超过 10 MB")
    content_type = sniff(data)
    if content_type is None or (photos_only and content_type == "application/pdf"):
        kinds = "JPEG、PNG、WebP 图片" if photos_only else "JPEG、PNG、WebP 图片或 PDF 文件"
        raise AttachmentError(f"{label} 不是 {kinds}")
    if content_type == "application/pdf":
        return Checked(content_type, None, None, None)
    display, width, height = _display_copy(label, data)
    return Checked(content_type, display, width, height)


def check_all(
    files: list[tuple[str, bytes]], *, photos_only: bool = False
) -> list[tuple[str, bytes, Checked]]:
    """Every file of a form checked, after their pixels together are counted from the images'
    headers alone: a form of too many is refused before any of them is decoded."""
    if sum(_pixels(data) for _, data in files) > MAX_PIXELS_PER_FORM:
        raise AttachmentError("照片的像素总量过大，请减少张数或压缩后重试")
    return [(name, data, check(name, data, photos_only=photos_only)) for name, data in files]


def _pixels(data: bytes) -> int:
    """How many pixels an image says it has (its header only); 0 for anything else."""
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"]) as image:
            return int(image.width * image.height)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return 0  # check() says what is wrong with it


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


def _within_limit(files: int) -> None:
    if files > MAX_PER_RECORD:
        raise AttachmentError(f"每条记录最多 {MAX_PER_RECORD} 个附件")


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
    public: bool = False,
) -> list[Attachment]:
    """Check every file first, then store them all; one bad file stores none. Files from the
    `public` are photos only, and their original is not kept: only the re-encoded copy, with
    no EXIF, so no place or phone a photo recorded is stored (PIPL 6, data minimisation)."""
    checked = check_all(files, photos_only=public)
    one_at_a_time(session, f"attachments:{owner_type}:{owner_id}")  # the count holds till commit
    _within_limit(count(session, owner_type, owner_id) + len(checked))
    saved = []
    for name, upload, result in checked:
        data, content_type = upload, result.content_type
        if public and result.display:
            data, content_type = result.display, "image/jpeg"
        attachment = Attachment(
            owner_type=owner_type,
            owner_id=owner_id,
            tag=tag,
            filename=safe_filename(name, content_type),
            content_type=content_type,
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


# ---- pending uploads: a refused form's files, kept for the form sent again ---------------


@dataclass(frozen=True)
class Holder:
    """Whose pending uploads, on which form: a login (`user_id`), or on the public form the
    browser (`browser`, from `browser_identity`). Someone else's token finds nothing."""

    form: str
    user_id: int | None = None
    browser: str = ""
    public: bool = False  # files of the public: photos only, kept without their originals


def browser_identity(cookie_token: str) -> str:
    """Names a browser by its CSRF cookie without storing the cookie; "" when it has none."""
    return hashlib.sha256(cookie_token.encode()).hexdigest() if cookie_token else ""


def _owned_by(user_id: int | None, browser: str) -> sa.ColumnElement[bool]:
    if user_id is not None:
        return col(PendingUpload.user_id) == user_id
    if not browser:
        return sa.false()
    return sa.and_(col(PendingUpload.user_id).is_(None), col(PendingUpload.browser) == browser)


def purge_expired_pending(session: Session, *, at: datetime | None = None) -> int:
    """Delete pending uploads past their time (on every use, and from maintenance); how many."""
    result = session.execute(
        sa.delete(PendingUpload).where(col(PendingUpload.expires_at) <= (at or now()))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def hold(
    session: Session, holder: Holder, files: list[tuple[str, bytes]], *, already: int = 0
) -> list[PendingUpload]:
    """Keep files for `holder`'s form after it was refused. They pass the checks an attachment
    passes, now: one bad file keeps none; `already` counts the files the record would have
    besides (those kept before, those it has)."""
    if not holder.browser and holder.user_id is None:
        raise AttachmentError(NOT_KEPT)
    checked = check_all(files, photos_only=holder.public)
    _within_limit(already + len(checked))
    purge_expired_pending(session)
    held = []
    for name, upload, result in checked:
        # As `add` keeps it: no original of the public's (the name stays the one chosen).
        data = result.display if holder.public and result.display else upload
        pending = PendingUpload(
            token=secrets.token_urlsafe(32),
            form=holder.form,
            user_id=holder.user_id,
            browser=holder.browser if holder.user_id is None else "",
            filename=safe_filename(name, result.content_type),
            content_type=result.content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            width=result.width,
            height=result.height,
            data=data,
            display=result.display,
            expires_at=now() + PENDING_LIFETIME,
        )
        session.add(pending)
        held.append(pending)
    session.flush()
    return held


def pending_for(session: Session, holder: Holder, tokens: Iterable[str]) -> list[PendingUpload]:
    """The holder's live pending uploads on its form among `tokens`, oldest first; tokens
    that are someone else's, another form's, expired or made up are ignored."""
    wanted = list(dict.fromkeys(t for t in tokens if t))[:MAX_PER_RECORD]
    if not wanted:
        return []
    purge_expired_pending(session)
    return list(
        session.exec(
            select(PendingUpload)
            .options(defer(PendingUpload.data), defer(PendingUpload.display))  # type: ignore[arg-type]
            .where(
                col(PendingUpload.token).in_(wanted),
                PendingUpload.form == holder.form,
                _owned_by(holder.user_id, holder.browser),
            )
            .order_by(col(PendingUpload.id))
        ).all()
    )


def pending_owned(
    session: Session, token: str, *, user_id: int | None, browser: str
) -> PendingUpload | None:
    """One live pending upload, for its owner only (a login, or the anonymous browser that
    sent it). It reads only: the expired are removed by the next form sent, or by maintenance."""
    return session.exec(
        select(PendingUpload).where(
            PendingUpload.token == token,
            col(PendingUpload.expires_at) > now(),
            _owned_by(user_id, browser),
        )
    ).first()


def pending_files(pending: Sequence[PendingUpload]) -> list[tuple[str, bytes]]:
    """Kept files as chosen files, for the service that attaches them (and checks them again)."""
    return [(p.filename, p.data) for p in pending]


def drop_pending(session: Session, pending: Sequence[PendingUpload]) -> None:
    """Remove pending uploads: attached to their record (in its transaction), or dropped."""
    ids = [p.id for p in pending if p.id is not None]
    if ids:
        session.execute(sa.delete(PendingUpload).where(col(PendingUpload.id).in_(ids)))
