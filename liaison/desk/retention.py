"""Retention of requesters' personal data (PIPL 19, 47; SECURITY.md P6): a request closed longer
ago than `request_pii_retention_days` loses its submitter's name and phone, the phone and ID
numbers written in its text and timeline, and its photos. What the figures need stays (type,
topic, dates, status, rating, the enterprise named), so past years' metrics do not change.

Clearing the phone clears its last 4 digits too: such a request can no longer be tracked.
Every change is audited by the flush hook like any other, and the columns it clears are logged
masked (`__audit_masked__` on the models), so the audit log keeps no copy of what it removed."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

import sqlalchemy as sa
import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, func, select

from liaison.attachments import service as attachments
from liaison.attachments.models import Attachment
from liaison.audit.service import record_event, set_actor
from liaison.clock import now
from liaison.config import Settings, get_settings
from liaison.db import get_engine
from liaison.desk.models import CLOSED_STATUSES, RequestEvent, ServiceRequest
from liaison.desk.service import OWNER
from liaison.pii import strip_numbers

DEIDENTIFIED_NAME = "（已脱敏）"
BATCH_SIZE = 200  # requests per transaction


@dataclass
class Report:
    requests: int = 0
    photos: int = 0

    def message(self, *, dry_run: bool) -> str:
        if dry_run:
            return f"预演：将脱敏 {self.requests} 件诉求，删除照片 {self.photos} 张（未做修改）"
        return f"已脱敏 {self.requests} 件诉求，删除照片 {self.photos} 张"


def _past_retention(settings: Settings, moment: datetime) -> sa.ColumnElement[bool]:
    """Closed before the retention period began, and not de-identified yet."""
    cutoff = moment - timedelta(days=settings.request_pii_retention_days)
    return sa.and_(
        col(ServiceRequest.status).in_(CLOSED_STATUSES),
        col(ServiceRequest.closed_at).is_not(None),
        col(ServiceRequest.closed_at) < cutoff,
        col(ServiceRequest.deidentified_at).is_(None),
    )


def deidentify(session: Session, request: ServiceRequest, moment: datetime) -> int:
    """Remove one request's personal data; the number of photos deleted."""
    request.submitter_name = DEIDENTIFIED_NAME
    request.submitter_phone = request.phone_last4 = ""
    request.content = strip_numbers(request.content)
    request.outcome = strip_numbers(request.outcome)
    request.deidentified_at = moment
    session.add(request)
    # Replies and notes are written to and about the submitter: numbers in them go too.
    for event in session.exec(select(RequestEvent).where(RequestEvent.request_id == request.id)):
        event.body = strip_numbers(event.body)
        session.add(event)
    return attachments.remove(session, OWNER, [request.id or 0])


def run(session: Session, settings: Settings, *, dry_run: bool = False) -> Report:
    """De-identify every request past retention, a batch per transaction (an interrupted run
    keeps what it finished, and the next run carries on); a dry run only counts."""
    moment = now()
    due = _past_retention(settings, moment)
    if dry_run:
        ids = select(ServiceRequest.id).where(due)
        photos = select(func.count()).where(
            Attachment.owner_type == OWNER, col(Attachment.owner_id).in_(ids)
        )
        requests = select(func.count()).select_from(ServiceRequest).where(due)
        return Report(session.exec(requests).one(), session.exec(photos).one())
    # Photos of refused forms nobody came back for go too (they expire in hours, not years).
    attachments.purge_expired_pending(session, at=moment)
    session.commit()
    report = Report()
    while batch := session.exec(
        select(ServiceRequest)
        .where(due)
        .order_by(col(ServiceRequest.id))
        .limit(BATCH_SIZE)
        # Locked until the batch commits: no rating or reopening interleaves with it.
        .with_for_update()
    ).all():
        for request in batch:
            report.photos += deidentify(session, request, moment)
        report.requests += len(batch)
        session.commit()
    if report.requests:
        record_event(
            session,
            "retention",
            object_type="ServiceRequest",
            detail={
                "requests": report.requests,
                "photos": report.photos,
                "retention_days": settings.request_pii_retention_days,
            },
        )
        session.commit()
    return report


def command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="只统计将要脱敏的诉求，不做修改")
    ] = False,
) -> None:
    """De-identify requests closed longer ago than LIAISON_REQUEST_PII_RETENTION_DAYS (default
    1095): the submitter's name and phone, numbers in the text, photos. Such requests can no
    longer be tracked by number and phone tail."""
    settings = get_settings()
    try:
        with Session(get_engine(), expire_on_commit=False) as session:
            set_actor(session, user_id=None, name="cli")
            report = run(session, settings, dry_run=dry_run)
    except SQLAlchemyError as exc:
        typer.echo(f"错误：数据库操作失败：{exc}", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(report.message(dry_run=dry_run))
