"""Printable QR posters for the request desk: the bureau's general link and each project's own,
as an A4 page and as the bare code (SVG, PNG) to hand to a print shop."""

import io
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import segno
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlmodel import Session

from liaison.auth.deps import Principal, SettingsDep, require
from liaison.auth.roles import Role
from liaison.config import Settings
from liaison.db import SessionDep
from liaison.enterprises.models import Enterprise
from liaison.org.models import Officer, Station
from liaison.projects.models import Project
from liaison.projects.service import current_assignment
from liaison.scope import get_visible
from liaison.web import render

router = APIRouter()
StaffDep = Annotated[Principal, Depends(require(Role.ADMIN, Role.LEADER, Role.CHIEF, Role.OFFICER))]

# Q recovers ~25% of the modules: posters get creased, taped over and photographed askew.
ERROR_LEVEL = "q"
BORDER = 4  # the quiet zone the QR standard asks for, in modules
PNG_SCALE = 16  # px a module: a version-4 code is ~650 px, ~140 dpi printed 120 mm wide
PRINT_MM = 120  # the code's printed width, quiet zone included (print.css draws it so too)
GENERAL_NAME = "分局接诉即办"


@dataclass
class Target:
    """What a poster points at: a project's form, or the general one when `project` is None."""

    url: str
    track_url: str
    filename: str  # without extension
    project: Project | None = None


def public_base(request: Request, settings: Settings) -> str:
    """The origin people's phones reach: the configured public URL, else this request's."""
    return (settings.public_url or str(request.base_url)).rstrip("/")


def _project_target(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: StaffDep,
    project_id: int,
) -> Target:
    """The route's project, as a dependency: one the login may see, whose form is open."""
    project = get_visible(session, Project, project_id, principal.scope)
    if project.archived_at is not None:
        raise HTTPException(status_code=404)  # its form is closed: the code would lead nowhere
    base = public_base(request, settings)
    return Target(
        url=f"{base}/r/{quote(project.code, safe='')}",
        track_url=f"{base}/track",
        filename=f"{project.code}-二维码",
        project=project,
    )


ProjectTarget = Annotated[Target, Depends(_project_target)]


def _general_target(request: Request, settings: Settings) -> Target:
    base = public_base(request, settings)
    return Target(url=f"{base}/r", track_url=f"{base}/track", filename=f"{GENERAL_NAME}-二维码")


def _qr(url: str) -> segno.QRCode:
    return segno.make_qr(url, error=ERROR_LEVEL)


def qr_svg_inline(url: str) -> Markup:
    """The code as an <svg> element for the page: no XML declaration, no size (CSS sets it),
    no style attribute (the CSP allows none)."""
    svg = _qr(url).svg_inline(
        border=BORDER, omitsize=True, svgclass="qr-code", lineclass=None, title="扫码提交诉求"
    )
    return Markup(svg)  # noqa: S704  (our own markup: segno draws the code, the URL is not in it)


def _download(data: bytes, media_type: str, filename: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            # An SVG opened on its own is a document: let it run nothing.
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def _svg_file(target: Target) -> Response:
    """The code in millimetres, so a print shop's tool places it at the poster's size."""
    qr = _qr(target.url)
    modules, _ = qr.symbol_size(border=BORDER)
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=PRINT_MM / modules, unit="mm", border=BORDER, title=target.url)
    return _download(out.getvalue(), "image/svg+xml", f"{target.filename}.svg")


def _png_file(target: Target) -> Response:
    out = io.BytesIO()
    _qr(target.url).save(out, kind="png", scale=PNG_SCALE, border=BORDER)
    return _download(out.getvalue(), "image/png", f"{target.filename}.png")


def _poster(request: Request, session: Session, target: Target, downloads: str) -> Response:
    context: dict[str, Any] = {
        "target": target,
        "qr": qr_svg_inline(target.url),
        "downloads": downloads,
        "project": target.project,
        "enterprise": None,
        "officer": None,
        "backup": None,
        "station": None,
    }
    if target.project is not None:
        project = target.project
        context["enterprise"] = session.get(Enterprise, project.enterprise_id)
        context["station"] = session.get(Station, project.station_id)
        assignment = current_assignment(session, project.id or 0)
        if assignment is not None:
            context["officer"] = session.get(Officer, assignment.officer_id)
        if project.backup_officer_id is not None:
            context["backup"] = session.get(Officer, project.backup_officer_id)
    return render(request, "desk/poster.html", context)


# ---- a project's own code ----------------------------------------------------------------


@router.get("/projects/{project_id}/poster")
def project_poster(
    request: Request, session: SessionDep, target: ProjectTarget, project_id: int
) -> Response:
    """The project's A4 poster: its code, its enterprise, its liaison officer."""
    return _poster(request, session, target, f"/projects/{project_id}/qr")


@router.get("/projects/{project_id}/qr.svg")
def project_qr_svg(target: ProjectTarget) -> Response:
    return _svg_file(target)


@router.get("/projects/{project_id}/qr.png")
def project_qr_png(target: ProjectTarget) -> Response:
    return _png_file(target)


# ---- the bureau's general link -----------------------------------------------------------


@router.get("/desk/poster")
def general_poster(
    request: Request, session: SessionDep, settings: SettingsDep, principal: StaffDep
) -> Response:
    """The bureau's poster, for the general link that belongs to no project."""
    return _poster(request, session, _general_target(request, settings), "/desk/qr")


@router.get("/desk/qr.svg")
def general_qr_svg(request: Request, settings: SettingsDep, principal: StaffDep) -> Response:
    return _svg_file(_general_target(request, settings))


@router.get("/desk/qr.png")
def general_qr_png(request: Request, settings: SettingsDep, principal: StaffDep) -> Response:
    return _png_file(_general_target(request, settings))
