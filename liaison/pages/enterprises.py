"""Enterprise pages: list, file, edit, contacts, and contact accounts."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session, col, func, or_, select

from liaison.auth import service as auth_service
from liaison.auth.deps import Principal, ReaderDep, SettingsDep, require
from liaison.auth.passwords import policy_hint
from liaison.auth.policy import Action, can, require_action
from liaison.auth.roles import Role
from liaison.clock import today
from liaison.db import SessionDep, pk
from liaison.enterprises import service
from liaison.enterprises.models import Enterprise, EnterpriseContact
from liaison.enterprises.queries import EnterpriseFilter
from liaison.enterprises.schemas import ContactIn, EnterpriseIn
from liaison.fields import form_field
from liaison.forms import Filled, PostedForm, refusals, validate
from liaison.listing import matching
from liaison.notify.routing import away
from liaison.pages.lists import ListingDep
from liaison.projects import queries
from liaison.projects import service as projects_service
from liaison.projects.models import Project
from liaison.scope import get_visible, visible
from liaison.web import FormPage, redirect, render_with_errors

router = APIRouter()

EDITORS = (Role.ADMIN, Role.LEADER, Role.CHIEF, Role.OFFICER)
EditorDep = Annotated[Principal, Depends(require(*EDITORS))]
AccountDep = Annotated[Principal, Depends(require_action(Action.CONTACT_ACCOUNT_OPEN))]


def _choices(session: Session, column: Any) -> list[str]:
    """The values an enterprise column holds, for its filter's options."""
    return list(session.exec(select(column).distinct().where(column != "").order_by(column)))


@router.get("/enterprises")
def enterprise_list(
    listing: ListingDep, principal: ReaderDep, filters: Annotated[EnterpriseFilter, Query()]
) -> Response:
    projects = (
        select(Project.enterprise_id, func.count().label("projects"))
        .where(col(Project.archived_at).is_(None))
        .group_by(col(Project.enterprise_id))
        .subquery()
    )
    query = (
        select(Enterprise, projects.c.projects)
        .outerjoin(projects, projects.c.enterprise_id == Enterprise.id)
        .where(visible(Enterprise, principal.scope))
    )
    if term := filters.q.strip():
        query = query.where(
            or_(
                col(Enterprise.name).contains(term, autoescape=True),
                col(Enterprise.uscc).contains(term.upper(), autoescape=True),
            )
        )
    query = matching(
        query, (filters.town, Enterprise.town), (filters.industry, Enterprise.industry)
    )
    return listing.render(
        "enterprises/list.html",
        {
            "results": listing.rows(query.order_by(Enterprise.name)),
            "q": filters.q,
            "town": filters.town,
            "industry": filters.industry,
            "towns": _choices(listing.session, Enterprise.town),
            "industries": _choices(listing.session, Enterprise.industry),
            "can_create": principal.role in EDITORS,
        },
    )


class EnterpriseForm(EnterpriseIn):
    """The enterprise form: EnterpriseIn field for field."""


ENTERPRISE_FIELDS: list[dict[str, Any]] = [
    form_field(EnterpriseForm, "uscc", hint="18 位，末位为校验码"),
    form_field(EnterpriseForm, "name"),
    form_field(EnterpriseForm, "industry"),
    form_field(EnterpriseForm, "town"),
    form_field(EnterpriseForm, "address"),
]


ENTERPRISE_PAGE = FormPage("/enterprises", "登记企业", "编辑", fields=ENTERPRISE_FIELDS)


@router.get("/enterprises/new")
def enterprise_new(request: Request, _editor: EditorDep) -> Response:
    return ENTERPRISE_PAGE.render(request, None, Filled())


@router.get("/enterprises/{enterprise_id}/edit")
def enterprise_edit(
    request: Request, session: SessionDep, principal: EditorDep, enterprise_id: int
) -> Response:
    enterprise = get_visible(session, Enterprise, enterprise_id, principal.scope)
    return ENTERPRISE_PAGE.render(request, enterprise, Filled(enterprise.model_dump()))


@router.post("/enterprises")
@router.post("/enterprises/{enterprise_id}")
def enterprise_save(
    request: Request,
    session: SessionDep,
    posted: PostedForm,
    principal: EditorDep,
    enterprise_id: int | None = None,
) -> Response:
    enterprise = (
        get_visible(session, Enterprise, enterprise_id, principal.scope)
        if enterprise_id is not None
        else None
    )
    raw = dict(posted)
    form, errors = validate(EnterpriseForm, raw)
    if form and not errors:
        with refusals(session, errors, "uscc", service.EnterpriseError):
            saved = service.save_enterprise(session, enterprise, form)
            session.commit()
            return redirect(request, f"/enterprises/{saved.id}", f"已保存企业 {saved.name}")
    return ENTERPRISE_PAGE.render(request, enterprise, Filled(raw, errors))


def _detail(
    request: Request,
    session: Session,
    settings: Any,
    principal: Principal,
    enterprise: Enterprise,
    form: Filled | None = None,
) -> Response:
    """The enterprise's page; after a refused post, with that form's values and errors back
    (`Filled.named`: the page holds several forms)."""
    form = form or Filled()
    interval = settings.visit_interval_days
    rows = queries.to_rows(
        list(
            session.exec(
                queries.project_list_query(
                    principal.scope,
                    queries.ProjectFilter(enterprise_id=pk(enterprise)),
                    today=today(),
                    interval_days=interval,
                )
            ).all()
        ),
        interval,
    )
    # Both officers of each project, to be called: the B角 answers while the officer is away.
    backups = projects_service.backup_officers(session, [r.project for r in rows])
    officers = [r.officer for r in rows if r.officer] + list(backups.values())
    return render_with_errors(
        request,
        "enterprises/detail.html",
        {
            "enterprise": enterprise,
            "contacts": service.contacts(session, pk(enterprise)),
            "projects": rows,
            "backups": backups,
            "away": away(session, [pk(o) for o in officers]),
            "can_edit": principal.role in EDITORS,
            "can_open_accounts": can(principal, Action.CONTACT_ACCOUNT_OPEN),
            "can_create_project": principal.role in (Role.ADMIN, Role.LEADER, Role.CHIEF),
            "password_hint": policy_hint(settings),
            "contact_fields": _contact_fields(),
            "values": form.values,
        },
        form.errors,
    )


def _contact_fields() -> list[dict[str, Any]]:
    """The add-a-contact form's fields, as ContactForm declares them."""
    return [
        form_field(ContactForm, "name"),
        form_field(ContactForm, "title"),
        form_field(ContactForm, "phone", type="tel", hint="手机号或座机（区号-号码）"),
        form_field(ContactForm, "is_primary", type="checkbox", label="设为主要联系人"),
    ]


@router.get("/enterprises/{enterprise_id}")
def enterprise_detail(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: ReaderDep,
    enterprise_id: int,
) -> Response:
    enterprise = get_visible(session, Enterprise, enterprise_id, principal.scope)
    return _detail(request, session, settings, principal, enterprise)


class ContactForm(ContactIn):
    """ContactIn as the enterprise page's contact form sends it: the enterprise is the page's
    (its address), not a field of the form."""

    enterprise_id: int = 0  # the page's enterprise, set by `contact_in`

    def contact_in(self, enterprise_id: int) -> ContactIn:
        return ContactIn.model_validate({**self.model_dump(), "enterprise_id": enterprise_id})


def _contact(
    session: Session, principal: Principal, enterprise_id: int, contact_id: int
) -> EnterpriseContact:
    get_visible(session, Enterprise, enterprise_id, principal.scope)
    contact = session.get(EnterpriseContact, contact_id)
    if contact is None or contact.enterprise_id != enterprise_id:
        raise HTTPException(status_code=404)
    return contact


@router.post("/enterprises/{enterprise_id}/contacts")
@router.post("/enterprises/{enterprise_id}/contacts/{contact_id}")
def contact_save(
    request: Request,
    session: SessionDep,
    posted: PostedForm,
    settings: SettingsDep,
    principal: EditorDep,
    enterprise_id: int,
    contact_id: int | None = None,
) -> Response:
    enterprise = get_visible(session, Enterprise, enterprise_id, principal.scope)
    contact = (
        _contact(session, principal, enterprise_id, contact_id) if contact_id is not None else None
    )
    raw = dict(posted)
    form, errors = validate(ContactForm, raw)
    if form and not errors:
        service.save_contact(session, contact, form.contact_in(enterprise_id))
        session.commit()
        return redirect(request, f"/enterprises/{enterprise_id}", f"已保存联系人 {form.name}")
    refused = Filled(raw, errors).named("contact")
    return _detail(request, session, settings, principal, enterprise, refused)


@router.post("/enterprises/{enterprise_id}/contacts/{contact_id}/delete")
def contact_delete(
    request: Request, session: SessionDep, principal: EditorDep, enterprise_id: int, contact_id: int
) -> Response:
    contact = _contact(session, principal, enterprise_id, contact_id)
    try:
        service.delete_contact(session, contact)
        session.commit()
    except service.EnterpriseError as exc:
        return redirect(request, f"/enterprises/{enterprise_id}", str(exc), "error")
    return redirect(request, f"/enterprises/{enterprise_id}", f"已删除联系人 {contact.name}")


class AccountForm(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    password: str = Field(min_length=1, max_length=1024)


@router.post("/enterprises/{enterprise_id}/contacts/{contact_id}/account")
def contact_account(
    request: Request,
    session: SessionDep,
    posted: PostedForm,
    settings: SettingsDep,
    principal: AccountDep,
    enterprise_id: int,
    contact_id: int,
) -> Response:
    """Open an login for this contact; they change the password at first login."""
    enterprise = get_visible(session, Enterprise, enterprise_id, principal.scope)
    contact = _contact(session, principal, enterprise_id, contact_id)
    if contact.user_id is not None:
        return redirect(request, f"/enterprises/{enterprise_id}", "该联系人已开通账号", "error")
    raw = dict(posted)
    form, errors = validate(AccountForm, raw)
    if form and not errors:
        with refusals(session, errors, "username", auth_service.AccountError):
            user = auth_service.create_user(
                session,
                settings,
                username=form.username,
                password=form.password,
                role=Role.ENTERPRISE,
                display_name=contact.name,
                enterprise_uscc=enterprise.uscc,
            )
            service.link_account(session, contact, pk(user))
            session.commit()
            return redirect(
                request,
                f"/enterprises/{enterprise_id}",
                f"已为 {contact.name} 开通账号 {user.username}，首次登录须修改密码",
            )
    values = {"username": raw.get("username", ""), "contact": contact_id}
    refused = Filled(values, errors).named("account")
    return _detail(request, session, settings, principal, enterprise, refused)
