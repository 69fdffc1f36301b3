"""The system administrator's view of the outbox: what waits to be sent and what failed, with a
retry; and the duty groups' robots (企业微信, 钉钉) of each station and of the bureau's desk."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from liaison.auth.policy import Action, require_action
from liaison.db import SessionDep
from liaison.forms import PostedForm
from liaison.listing import ListFilter, id_in
from liaison.notify import sending, service
from liaison.notify.models import Channel, Delivery, DeliveryState, DutyRobot
from liaison.org.models import Station
from liaison.pages.lists import ListingDep
from liaison.pii import mask_phone
from liaison.web import get_or_404, redirect, render

router = APIRouter(dependencies=[Depends(require_action(Action.DELIVERY_MANAGE))])

DESK = "desk"  # what the robots' form calls the bureau's duty desk, which has no station


class DeliveryFilter(ListFilter):
    state: DeliveryState | Literal[""] = ""
    channel: Channel | Literal[""] = ""


def masked_address(delivery: Delivery, robot_places: dict[int, str]) -> str:
    """Where it goes, as much as the administrator needs to tell deliveries apart."""
    if delivery.channel == Channel.EMAIL:
        name, _, domain = delivery.address.partition("@")
        return f"{name[:1]}***@{domain}"
    if delivery.channel == Channel.SMS:
        return mask_phone(delivery.address)
    robot_id = id_in(delivery.address.removeprefix("robot:"))
    return robot_places.get(robot_id or 0, "已删除的机器人")


def robot_places(session: Session) -> dict[int, str]:
    """Each robot's id: the station whose group it posts to, or the duty desk."""
    names = dict(session.exec(select(Station.id, Station.name)).all())
    return {
        r.id or 0: names.get(r.station_id, "") if r.station_id else "分局值班台"
        for r in session.exec(select(DutyRobot))
    }


@router.get("/admin/deliveries")
def delivery_list(listing: ListingDep, filters: Annotated[DeliveryFilter, Query()]) -> Response:
    rows = listing.rows(service.deliveries(state=filters.state, channel=filters.channel))
    places = robot_places(listing.session)
    return listing.render(
        "admin/deliveries.html",
        {
            "rows": rows,
            "filters": filters,
            "addresses": {d.id: masked_address(d, places) for d in rows.items},
            "states": [(s.value, s.label) for s in DeliveryState],
            "channels": [(c.value, c.label) for c in Channel],
            "channel_labels": {c.value: c.label for c in Channel},
            "state_labels": {s.value: s.label for s in DeliveryState},
        },
    )


@router.post("/admin/deliveries/{delivery_id}/retry")
def delivery_retry(request: Request, session: SessionDep, delivery_id: int) -> Response:
    delivery = get_or_404(session, Delivery, delivery_id)
    if delivery.state != DeliveryState.FAILED.value:
        return redirect(request, "/admin/deliveries", "只有发送失败的消息可以重试", "error")
    sending.retry(session, delivery)
    session.commit()
    return redirect(request, "/admin/deliveries?state=pending", "已重新排队发送")


# ---- the duty groups' robots -------------------------------------------------------------


def _robots_page(
    request: Request, session: Session, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    stations = session.exec(
        select(Station).where(col(Station.active)).order_by(col(Station.code))
    ).all()
    return render(
        request,
        "admin/deliveries_robots.html",
        {
            "places": [(DESK, "分局值班台"), *((str(s.id), s.name) for s in stations)],
            "robots": {(str(k) if k else DESK): r for k, r in service.robots(session).items()},
            "channels": [(c.value, c.label) for c in service.ROBOT_CHANNELS],
            "errors": errors or {},
        },
        status_code=status,
    )


def _station_named(session: Session, place: str) -> int | None:
    """The station a form's place names (None: the duty desk); 404 for neither."""
    if place == DESK:
        return None
    station = session.get(Station, id_in(place) or 0)
    if station is None:
        raise HTTPException(status_code=404)
    return station.id


@router.get("/admin/robots")
def robot_list(request: Request, session: SessionDep) -> Response:
    return _robots_page(request, session)


@router.post("/admin/robots")
def robot_save(request: Request, session: SessionDep, posted: PostedForm) -> Response:
    place = str(posted.get("place", ""))
    station_id = _station_named(session, place)
    try:
        service.save_robot(
            session,
            station_id,
            str(posted.get("channel", "")),
            str(posted.get("url", "")).strip(),
            str(posted.get("secret", "")).strip(),
        )
    except service.RobotError as exc:
        session.rollback()
        return _robots_page(request, session, {f"{place}-{exc.field}": str(exc)}, 422)
    session.commit()
    return redirect(request, "/admin/robots", "已保存值班群机器人")


@router.post("/admin/robots/remove")
def robot_remove(request: Request, session: SessionDep, posted: PostedForm) -> Response:
    service.remove_robot(session, _station_named(session, str(posted.get("place", ""))))
    session.commit()
    return redirect(request, "/admin/robots", "已删除值班群机器人")
