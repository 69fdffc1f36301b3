"""Ledger pages: totals by project, enterprise, officer, station, source and month; entries;
recording one (once, however often the form is sent); reversing one."""

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import AfterValidator, Field
from sqlmodel import Session, col, func, select

from liaison.attachments import service as attachments
from liaison.auth.deps import Principal, ReaderDep, require
from liaison.auth.policy import Action, can
from liaison.auth.roles import Role
from liaison.clock import today
from liaison.db import SessionDep, pk
from liaison.fields import form_field, label
from liaison.forms import Filled, PostedForm, refusals, validate
from liaison.hazards.models import Hazard
from liaison.money import parse_amount, yuan
from liaison.org.models import Officer
from liaison.org.queries import active_stations
from liaison.pages.attachments import Kept, attached, form_photos, keep
from liaison.pages.lists import ListingDep, workbook
from liaison.pages.projects import Panel
from liaison.projects.models import Project
from liaison.projects.service import on_project
from liaison.projects.timeline import Entry
from liaison.recoveries import queries, service
from liaison.recoveries.models import Recovery, RecoverySource
from liaison.recoveries.schemas import RecoveryIn, ReversalIn
from liaison.recoveries.sheet import RECOVERIES
from liaison.scope import Scope, get_visible
from liaison.web import own_officer, redirect, render_with_errors

router = APIRouter()
NOT_AN_OFFICER = "登记挽回损失须由民警本人操作"
BookerDep = Annotated[Principal, Depends(require(Role.LEADER, Role.CHIEF, Role.OFFICER))]
OWNER = "recovery"
UPLOAD_LIMIT = attachments.MAX_PER_RECORD * attachments.MAX_BYTES + 1024 * 1024


def attachment_owner(session: Session, recovery_id: int, scope: object) -> Recovery:
    assert isinstance(scope, Scope)
    return get_visible(session, Recovery, recovery_id, scope)


@router.get("/recoveries")
def recovery_list(
    listing: ListingDep,
    principal: ReaderDep,
    filters: Annotated[queries.RecoveryFilter, Query()],
    by: str = "station",
) -> Response:
    by = by if by in queries.DIMENSIONS else "station"
    query = queries.ledger_query(principal.scope, filters)
    session = listing.session
    if listing.wants_workbook:
        return workbook(session, RECOVERIES, query, Recovery.id)
    grand = session.exec(
        query.with_only_columns(func.coalesce(func.sum(Recovery.amount_fen), 0), func.count())
    ).one()
    entries = listing.rows(
        query.add_columns(Project.name, Officer.name).order_by(
            col(Recovery.recovered_on).desc(), col(Recovery.id).desc()
        )
    )
    stations = active_stations(session, principal.scope)
    return listing.render(
        "recoveries/list.html",
        {
            "totals": queries.totals(session, query, by),
            "by": by,
            "dimensions": queries.DIMENSIONS,
            "dimension_options": [
                (k, f"按{label}汇总") for k, (label, _) in queries.DIMENSIONS.items()
            ],
            "grand_fen": int(grand[0]),
            "grand_count": grand[1],
            "entries": entries,
            "since": filters.since or "",
            "until": filters.until or "",
            "station": filters.station_id,
            "source": filters.source,
            "stations": stations,
            "sources": list(RecoverySource),
        },
    )


AMOUNT_HINT = "精确到分，如 12,345.67"


def _yuan(value: str) -> str:
    """A typed amount in yuan that reads as exact fen (its sign is the service's check)."""
    parse_amount(value)
    return value


class EntryForm(RecoveryIn):
    """The entry form: RecoveryIn as a person types it, the amount in yuan (`recovery_in` makes
    the input of it, with the hazard its 关联编号 names)."""

    amount_fen: int = 0  # resolved from amount
    amount: Annotated[str, AfterValidator(_yuan)] = Field(
        min_length=1, max_length=24, title=label(RecoveryIn, "amount_fen")
    )
    submission_key: str = Field(default="", max_length=64)

    def recovery_in(self, hazard_id: int | None) -> RecoveryIn:
        """What the person typed, nothing else: a page never links an entry to a dispute (its
        resolution does), and the hazard is the one `hazard_id` found."""
        own = self.model_dump(include={"recovered_on", "source", "case_number", "note"})
        return RecoveryIn.model_validate(
            {**own, "amount_fen": parse_amount(self.amount), "hazard_id": hazard_id}
        )


def _entry_fields() -> list[dict[str, Any]]:
    """The entry form's fields (templates/recoveries/form.html) as EntryForm declares them."""
    return [
        form_field(EntryForm, "amount", type="decimal", hint=AMOUNT_HINT),
        form_field(EntryForm, "recovered_on", type="date"),
        form_field(EntryForm, "source"),
        form_field(EntryForm, "case_number", hint="案件编号、纠纷编号或隐患编号"),
        form_field(EntryForm, "note"),
    ]


def _hazard_by_code(session: Session, project: Project, code: str) -> int | None:
    """A 关联编号 naming one of this project's hazards links the entry to it."""
    if not code:
        return None
    return session.exec(
        select(Hazard.id).where(Hazard.code == code, Hazard.project_id == project.id)
    ).first()


def _entry_form(
    request: Request, project: Project, form: Filled, kept: list[Kept] | None = None
) -> Response:
    return render_with_errors(
        request,
        "recoveries/form.html",
        {
            "project": project,
            "values": form.values,
            "fields": _entry_fields(),
            "kept": kept or [],
        },
        form.errors,
    )


def _booking(session: Session, principal: Principal, project_id: int) -> tuple[Project, Officer]:
    """The project an entry is booked on and the officer booking it: 404 for a project out of
    reach, 403 for a login that may not book on it."""
    project = get_visible(session, Project, project_id, principal.scope)
    officer = own_officer(session, principal.user, NOT_AN_OFFICER)
    if not can(principal, Action.RECOVERY_BOOK, on_project(session, project)):
        raise HTTPException(status_code=403)
    return project, officer


@router.get("/projects/{project_id}/recoveries/new")
def recovery_new(
    request: Request, session: SessionDep, principal: BookerDep, project_id: int
) -> Response:
    project, _ = _booking(session, principal, project_id)
    values = {"recovered_on": today(), "submission_key": uuid.uuid4().hex}
    return _entry_form(request, project, Filled(values))


@router.post("/projects/{project_id}/recoveries", max_body_size=UPLOAD_LIMIT)
def recovery_create(
    request: Request,
    session: SessionDep,
    form_data: PostedForm,
    principal: BookerDep,
    project_id: int,
) -> Response:
    project, officer = _booking(session, principal, project_id)
    raw = {k: v for k, v in form_data.items() if isinstance(v, str)}
    form, errors = validate(EntryForm, raw)
    holder = attachments.Holder(form=f"recovery-new:{project_id}", user_id=principal.user.id)
    chosen = form_photos(session, form_data, holder)
    if form and not errors:
        data = form.recovery_in(_hazard_by_code(session, project, form.case_number))
        with refusals(
            session, errors, "evidence", service.RecoveryError, attachments.AttachmentError
        ):
            entry, created = service.record(
                session,
                project,
                officer,
                data,
                by_user_id=principal.user.id,
                submission_key=form.submission_key or None,
            )
            if created and chosen.files:
                attachments.add(
                    session,
                    owner_type=OWNER,
                    owner_id=pk(entry),
                    files=chosen.files,
                    tag="evidence",
                    uploaded_by_id=principal.user.id,
                )
            attached(session, chosen)
            session.commit()
            message = f"已登记 {entry.code}" if created else f"{entry.code} 已登记过，未重复计入"
            return redirect(request, f"/recoveries/{entry.id}", message)
    kept = keep(session, chosen, errors, "evidence")
    session.commit()
    return _entry_form(request, project, Filled(raw, errors), kept)


def _detail(
    request: Request,
    session: Session,
    entry: Recovery,
    form: Filled | None = None,
    can_reverse: bool = False,
) -> Response:
    form = form or Filled()
    project = session.get(Project, entry.project_id)
    officer = session.get(Officer, entry.officer_id)
    reversals = session.exec(
        select(Recovery).where(Recovery.reverses_id == entry.id).order_by(col(Recovery.id))
    ).all()
    original = session.get(Recovery, entry.reverses_id) if entry.reverses_id else None
    return render_with_errors(
        request,
        "recoveries/detail.html",
        {
            "entry": entry,
            "project": project,
            "officer": officer,
            "reversals": reversals,
            "original": original,
            "remaining": None if entry.is_reversal else service.remaining_fen(session, entry),
            "files": attachments.for_owner(session, OWNER, pk(entry)),
            "can_reverse": can_reverse and not entry.is_reversal,
            "reverse_fields": _reverse_fields(),
            "values": form.values,
        },
        form.errors,
    )


@router.get("/recoveries/{recovery_id}")
def recovery_detail(
    request: Request, session: SessionDep, principal: ReaderDep, recovery_id: int
) -> Response:
    entry = get_visible(session, Recovery, recovery_id, principal.scope)
    project = session.get(Project, entry.project_id)
    can_reverse = project is not None and can(
        principal, Action.RECOVERY_REVERSE, on_project(session, project)
    )
    return _detail(request, session, entry, can_reverse=can_reverse)


class ReverseForm(ReversalIn):
    """The reversal form: ReversalIn as a person types it, the amount in yuan and the day today
    (`reversal_in` makes the input of it)."""

    amount_fen: int = 0  # resolved from amount
    amount: Annotated[str, AfterValidator(_yuan)] = Field(
        min_length=1, max_length=24, title=label(ReversalIn, "amount_fen")
    )

    def reversal_in(self) -> ReversalIn:
        return ReversalIn(amount_fen=parse_amount(self.amount), reason=self.reason)


def _reverse_fields() -> list[dict[str, Any]]:
    """The reversal form's fields (templates/recoveries/detail.html) as ReverseForm declares
    them."""
    return [
        form_field(ReverseForm, "amount", type="decimal"),
        form_field(ReverseForm, "reason"),
    ]


@router.post("/recoveries/{recovery_id}/reverse")
def recovery_reverse(
    request: Request, session: SessionDep, raw: PostedForm, principal: BookerDep, recovery_id: int
) -> Response:
    entry = get_visible(session, Recovery, recovery_id, principal.scope)
    officer = own_officer(session, principal.user, NOT_AN_OFFICER)
    project = session.get(Project, entry.project_id)
    if project is None or not can(principal, Action.RECOVERY_REVERSE, on_project(session, project)):
        raise HTTPException(status_code=403)
    form, errors = validate(ReverseForm, raw)
    if form:
        with refusals(session, errors, "amount", service.RecoveryError):
            reversal = service.reverse(
                session, entry, officer, form.reversal_in(), by_user_id=principal.user.id
            )
            session.commit()
            return redirect(request, f"/recoveries/{entry.id}", f"已冲销，冲销记录 {reversal.code}")
    typed = {k: v for k, v in raw.items() if isinstance(v, str)}
    return _detail(request, session, entry, Filled(typed, errors), can_reverse=True)


def timeline_entries(session: Session, project_id: int, scope: Scope) -> Iterable[Entry]:
    for row in session.exec(select(Recovery).where(Recovery.project_id == project_id)).all():
        title = (
            f"{'冲销' if row.is_reversal else '挽回损失'} {yuan(row.amount_fen)}（{row.source}）"
        )
        yield Entry(row.recovered_on, "挽回损失", title, row.note, url=f"/recoveries/{row.id}")


def project_total_fen(session: Session, project_id: int) -> int:
    return int(
        session.exec(
            select(func.coalesce(func.sum(Recovery.amount_fen), 0)).where(
                Recovery.project_id == project_id
            )
        ).one()
    )


def project_panel(
    session: Session, principal: Principal, project: Project, on: date
) -> Panel | None:
    can_book = can(principal, Action.RECOVERY_BOOK, on_project(session, project))
    return Panel(
        "recoveries/_project_panel.html",
        {
            "total": project_total_fen(session, pk(project)),
            "project": project,
            "can_book": can_book and project.archived_at is None,
        },
    )
