"""The notification centre of every staff login: the bell's count, the list, opening one, and
the page where each person chooses how they are told."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from liaison.auth.deps import CurrentUser, SettingsDep
from liaison.auth.policy import Action, require_action
from liaison.db import SessionDep
from liaison.forms import PostedForm, validate
from liaison.listing import ListFilter
from liaison.notify import service
from liaison.notify.kinds import Kind
from liaison.notify.models import PERSONAL_CHANNELS, Channel
from liaison.pages.lists import ListingDep
from liaison.web import redirect, render, render_with_errors

router = APIRouter(dependencies=[Depends(require_action(Action.NOTIFICATIONS_READ))])
# base.html shows the bell to these roles, who are the ones this router lets in.

POLL_SECONDS = 30
READ_STATES = [("unread", "未读"), ("read", "已读")]


def kind_options() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every kind under its group's heading, in the order the kinds are declared."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for kind in Kind:
        groups.setdefault(kind.group, []).append((kind.value, kind.label))
    return list(groups.items())


class NotificationFilter(ListFilter):
    kind: Kind | Literal[""] = ""
    read: Literal["", "unread", "read"] = ""


@router.get("/notifications")
def notification_list(
    listing: ListingDep, principal: CurrentUser, filters: Annotated[NotificationFilter, Query()]
) -> Response:
    unread = {"unread": True, "read": False}.get(filters.read)
    query = service.notifications(principal.user.id or 0, kind=filters.kind, unread=unread)
    return listing.render(
        "notifications/list.html",
        {
            "rows": listing.rows(query),
            "filters": filters,
            "kind_groups": kind_options(),
            "read_states": READ_STATES,
            "labels": {k.value: k.label for k in Kind},
            "unread": service.unread_count(listing.session, principal.user.id or 0),
        },
    )


@router.get("/notifications/count")
def bell(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    settings: SettingsDep,
    polls: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> Response:
    """The bell, with its count (one indexed COUNT, nothing written). It asks again every 30
    seconds for as long as the session's idle limit after the page loaded, and then stops: each
    poll renews the session, which an unattended tab would otherwise keep alive for ever."""
    more = polls < settings.session_idle_minutes * 60 // POLL_SECONDS
    return render(
        request,
        "notifications/_bell.html",
        {
            "count": service.unread_count(session, principal.user.id or 0),
            "polls": polls + 1 if more else None,
        },
    )


@router.post("/notifications/{notification_id}/open")
def notification_open(
    request: Request, session: SessionDep, principal: CurrentUser, notification_id: int
) -> Response:
    """Mark it read and go to its record. A POST: reading it changes it."""
    found = service.own_notification(session, principal.user.id or 0, notification_id)
    if found is None:
        raise HTTPException(status_code=404)
    service.mark_read(session, principal.user.id or 0, notification_id)
    session.commit()
    # The record's own page, never elsewhere: a URL is the app's path, made by the app.
    target = found.url if found.url.startswith("/") and not found.url.startswith("//") else "/"
    return redirect(request, target)


@router.post("/notifications/read-all")
def notification_read_all(
    request: Request, session: SessionDep, principal: CurrentUser
) -> Response:
    marked = service.mark_read(session, principal.user.id or 0)
    session.commit()
    return redirect(request, "/notifications", f"已将 {marked} 条通知标为已读")


# ---- each person's choice of channels -------------------------------------------------------


def _settings_page(
    request: Request,
    values: dict[str, Any],
    chosen: dict[Kind, frozenset[Channel]],
    errors: dict[str, str] | None,
) -> Response:
    return render_with_errors(
        request,
        "notifications/settings.html",
        {
            "values": values,
            "chosen": {k.value: {c.value for c in v} for k, v in chosen.items()},
            "kind_groups": kind_options(),
            "urgent": {k.value for k in Kind if k.urgent},
            "channels": [(c.value, c.label) for c in PERSONAL_CHANNELS],
        },
        errors,
    )


def _posted_channels(posted: PostedForm) -> dict[Kind, frozenset[Channel]]:
    """The boxes ticked for each kind, named `channels-<kind>`; a value not offered is ignored."""
    offered = {c.value: c for c in PERSONAL_CHANNELS}
    return {
        kind: frozenset(
            offered[v] for v in posted.getlist(f"channels-{kind.value}") if v in offered
        )
        for kind in Kind
    }


@router.get("/notifications/settings")
def settings_form(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    user_id = principal.user.id or 0
    kept = service.settings_of(session, user_id)
    values = kept.model_dump(include=set(service.SettingsIn.model_fields))
    values |= {k: v.strftime("%H:%M") for k, v in values.items() if k.startswith("quiet_")}
    return _settings_page(request, values, service.channels_of(session, user_id), None)


@router.post("/notifications/settings")
def settings_save(
    request: Request, session: SessionDep, principal: CurrentUser, posted: PostedForm
) -> Response:
    raw = {k: v for k, v in posted.items() if not k.startswith("channels-")}
    chosen = _posted_channels(posted)
    form, errors = validate(service.SettingsIn, raw)
    if form is None or errors:
        return _settings_page(request, raw, chosen, errors)
    service.save_settings(session, principal.user.id or 0, form, chosen)
    session.commit()
    return redirect(request, "/notifications/settings", "已保存通知设置")
