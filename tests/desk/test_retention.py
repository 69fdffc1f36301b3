"""`liaison retention` (PIPL 19, 47; SECURITY.md P6): a request closed longer ago than the
retention period loses its submitter's personal data and photos, once; nothing else does."""

import json
import re
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from liaison.attachments import service as attachments
from liaison.attachments.models import Attachment, AttachmentBlob
from liaison.audit.models import AuditLog
from liaison.cli import app
from liaison.clock import now
from liaison.config import get_settings
from liaison.desk import retention
from liaison.desk import service as desk_service
from liaison.desk.models import RequestEvent, RequestType, ServiceRequest
from liaison.desk.schemas import RequestIn
from liaison.desk.service import OWNER
from liaison.pages.public import TRACK_FAILED
from tests.conftest import Clock
from tests.factories import post
from tests.images import jpeg

RETENTION = timedelta(days=1095)  # the default: three years
runner = CliRunner()


def retention_command(*args: str) -> str:
    result = runner.invoke(app, ["retention", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def request_closed_at(
    db: Session, travel: Clock, closed_at: datetime, phone: str, *, close: bool = True
) -> ServiceRequest:
    """A request sent two days before `closed_at` with a photo and a number in its text,
    answered, noted, and (unless `close` is false) closed at `closed_at`."""
    travel.to(closed_at - timedelta(days=2))
    request, _ = desk_service.submit(
        db,
        RequestIn(
            type=RequestType.HELP,
            content=f"工地门口有人聚集，请回电 {phone}，或打我家座机 0591-87654321",
            submitter_name="王小明",
            submitter_phone=phone,
        ),
        settings=get_settings(),
    )
    attachments.add(db, owner_type=OWNER, owner_id=request.id or 0, files=[("门口.jpg", jpeg())])
    desk_service.accept(db, request, by_user_id=None)
    desk_service.reply(db, request, f"已联系 {phone} 的王先生", public=True, by_user_id=None)
    desk_service.reply(
        db, request, "身份证 11010519491231002X 已核实", public=False, by_user_id=None
    )
    if close:
        travel.to(closed_at)
        desk_service.close(db, request, f"已办结，回访 {phone}", by_user_id=None)
    db.commit()
    return request


@pytest.fixture
def requests(db: Session, travel: Clock) -> dict[str, ServiceRequest]:
    today = now()
    made = {
        "past": request_closed_at(db, travel, today - RETENTION - timedelta(days=1), "13700000001"),
        "within": request_closed_at(
            db, travel, today - RETENTION + timedelta(days=1), "13700000002"
        ),
        "open": request_closed_at(db, travel, today - 2 * RETENTION, "13700000003", close=False),
    }
    travel.to(today)
    return made


def state(db: Session, request: ServiceRequest) -> tuple[object, ...]:
    """Everything retention may touch on one request."""
    db.expire_all()
    row = db.get(ServiceRequest, request.id)
    assert row is not None
    bodies = db.exec(select(RequestEvent.body).where(RequestEvent.request_id == row.id)).all()
    photos = db.exec(
        select(func.count())
        .select_from(Attachment)
        .where(Attachment.owner_type == OWNER, Attachment.owner_id == row.id)
    ).one()
    return (
        row.submitter_name,
        row.submitter_phone,
        row.phone_last4,
        row.content,
        row.outcome,
        row.deidentified_at,
        tuple(bodies),
        photos,
    )


def audit_count(db: Session) -> int:
    return db.exec(select(func.count()).select_from(AuditLog)).one()


def test_a_dry_run_counts_and_changes_nothing(db, requests):
    before = {name: state(db, r) for name, r in requests.items()}
    rows = audit_count(db)
    assert retention_command("--dry-run") == "预演：将脱敏 1 件诉求，删除照片 1 张（未做修改）"
    assert {name: state(db, r) for name, r in requests.items()} == before
    assert audit_count(db) == rows


def test_only_requests_past_retention_are_deidentified_once(db, requests, monkeypatch):
    monkeypatch.setattr(retention, "BATCH_SIZE", 1)  # more batches than requests
    within, still_open = state(db, requests["within"]), state(db, requests["open"])
    [photo_id] = [a.id for a in attachments.for_owner(db, OWNER, requests["past"].id)]
    assert retention_command() == "已脱敏 1 件诉求，删除照片 1 张"

    name, phone, last4, content, outcome, done_at, bodies, photos = state(db, requests["past"])
    assert (name, phone, last4, photos) == ("（已脱敏）", "", "", 0)
    assert done_at is not None
    assert content == "工地门口有人聚集，请回电 [号码已删除]，或打我家座机 [号码已删除]"
    assert outcome == "已办结，回访 [号码已删除]"
    assert "已联系 [号码已删除] 的王先生" in bodies and "身份证 [号码已删除] 已核实" in bodies
    assert not any(re.search(r"\d{7}", body) for body in bodies)
    blobs = select(func.count()).select_from(AttachmentBlob)
    assert db.exec(blobs.where(AttachmentBlob.attachment_id == photo_id)).one() == 0
    assert db.exec(select(func.count()).select_from(Attachment)).one() == 2  # the others'
    assert (state(db, requests["within"]), state(db, requests["open"])) == (within, still_open)

    # The audit log records the change, and holds no copy of what was removed.
    update = db.exec(
        select(AuditLog).where(
            AuditLog.object_type == "ServiceRequest",
            AuditLog.object_id == str(requests["past"].id),
            AuditLog.action == "update",
        )
    ).all()[-1]
    assert (update.before["submitter_phone"], update.after["submitter_phone"]) == (
        "137****0001",
        "",
    )
    assert update.before["submitter_name"] == "王**" and update.after["deidentified_at"]
    logged = json.dumps(
        [[r.before, r.after] for r in db.exec(select(AuditLog))], ensure_ascii=False
    )
    assert "13700000001" not in logged and "王小明" not in logged
    event = db.exec(select(AuditLog).where(AuditLog.action == "retention")).one()
    assert (event.actor_name, event.after["requests"], event.after["photos"]) == ("cli", 1, 1)

    rows, past = audit_count(db), state(db, requests["past"])
    assert retention_command() == "已脱敏 0 件诉求，删除照片 0 张"
    assert (audit_count(db), state(db, requests["past"])) == (rows, past)


def test_declined_requests_count_as_closed(db, travel):
    today = now()
    travel.to(today - RETENTION - timedelta(days=30))
    request, _ = desk_service.submit(
        db,
        RequestIn(
            type=RequestType.HELP,
            content="与公安无关的事项",
            submitter_name="李",
            submitter_phone="13700000009",
        ),
        settings=get_settings(),
    )
    desk_service.decline(db, request, "请向区市场监管局反映", by_user_id=None)
    db.commit()
    travel.to(today)
    assert retention_command() == "已脱敏 1 件诉求，删除照片 0 张"
    assert state(db, request)[:3] == ("（已脱敏）", "", "")


def test_a_deidentified_request_can_no_longer_be_tracked(client, db, requests):
    past = requests["past"]
    found = post(client, "/track", {"tracking_no": past.tracking_no, "last4": "0001"})
    assert 'data-testid="tracked"' in found.text
    retention_command()
    lost = post(client, "/track", {"tracking_no": past.tracking_no, "last4": "0001"})
    assert 'data-testid="tracked"' not in lost.text and TRACK_FAILED in lost.text


def test_the_retention_period_is_a_setting(db, requests, monkeypatch):
    monkeypatch.setenv("LIAISON_REQUEST_PII_RETENTION_DAYS", str(RETENTION.days - 2))
    get_settings.cache_clear()
    assert retention_command("--dry-run").startswith("预演：将脱敏 2 件诉求")
