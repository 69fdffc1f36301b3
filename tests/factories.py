"""Plain factory functions that go through the services, and an HTTP login helper."""

import itertools
import re
from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session

from liaison.auth import service as auth_service
from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.config import get_settings
from liaison.desk import service as desk_service
from liaison.desk.models import Channel, RequestType, ServiceRequest
from liaison.desk.schemas import RequestIn
from liaison.disputes import service as dispute_service
from liaison.disputes.models import Dispute
from liaison.disputes.schemas import AgreementIn, DisputeIn, DisputeType, PartyIn, PartyRole
from liaison.enterprises import service as enterprise_service
from liaison.enterprises.models import Enterprise
from liaison.enterprises.schemas import EnterpriseIn
from liaison.enterprises.uscc import uscc_check_char
from liaison.hazards import service as hazard_service
from liaison.hazards.models import Hazard, HazardCategory, HazardLevel
from liaison.hazards.schemas import HazardIn
from liaison.org import service as org_service
from liaison.org.models import Officer, Station
from liaison.org.schemas import OfficerIn, StationIn
from liaison.projects import service as project_service
from liaison.projects.models import Level, Project
from liaison.projects.schemas import ProjectIn
from liaison.recoveries import service as recovery_service
from liaison.recoveries.models import Recovery, RecoverySource
from liaison.recoveries.schemas import RecoveryIn

PASSWORD = "Kx7#mQ2!vR9pLw"
_serial = itertools.count(1)
# A tracking number as the desk gives it: the day, then 8 characters drawn from Crockford's
# base32 (no I, L, O, U) in two groups of 4, YY20261206-7KQ4-M2XD.
TRACKING_NO = r"YY\d{8}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}"


def make_station(db: Session, code: str | None = None, name: str | None = None) -> Station:
    n = next(_serial)
    station = org_service.save_station(
        db, None, StationIn(code=code or f"S{n:03d}", name=name or f"第{n}派出所")
    )
    db.commit()
    return station


def make_officer(db: Session, station: Station | None = None, phone: str | None = None) -> Officer:
    station = station or make_station(db)
    n = next(_serial)
    officer = org_service.save_officer(
        db,
        None,
        OfficerIn(
            badge_no=f"9{n:05d}",
            name=f"民警{n}",
            phone=phone or f"138{n:08d}",
            station_code=station.code,
        ),
    )
    db.commit()
    return officer


def make_enterprise(db: Session) -> Enterprise:
    body = f"91350100MA{next(_serial):07d}"
    enterprise = enterprise_service.save_enterprise(
        db,
        None,
        EnterpriseIn(uscc=body + uscc_check_char(body), name="测试企业", industry="制造业"),
    )
    db.commit()
    return enterprise


def make_user(
    db: Session,
    role: Role,
    *,
    username: str | None = None,
    password: str = PASSWORD,
    officer: Officer | None = None,
    enterprise: Enterprise | None = None,
    must_change_password: bool = False,
) -> User:
    if role in (Role.OFFICER, Role.CHIEF) and officer is None:
        officer = make_officer(db)
    if role == Role.ENTERPRISE and enterprise is None:
        enterprise = make_enterprise(db)
    user = auth_service.create_user(
        db,
        get_settings(),
        username=username or f"{role.value}{next(_serial)}",
        password=password,
        role=role,
        badge_no=officer.badge_no if officer else None,
        enterprise_uscc=enterprise.uscc if enterprise else None,
        must_change_password=must_change_password,
    )
    db.commit()
    return user


def csrf_token(client: TestClient) -> str:
    """The CSRF token a page would carry (the cookie's value), fetching a page to get one."""
    token = client.cookies.get("liaison_csrf")
    if not token:
        page = client.get("/login")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match, "the login page carries a CSRF token"
        token = match.group(1)
    return token


def post(client: TestClient, url: str, data: dict[str, str] | None = None, **kwargs):  # type: ignore[no-untyped-def]
    """A form POST as the browser sends it, with the CSRF token."""
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})}, **kwargs)


def login(client: TestClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return post(
        client, "/login", {"username": username, "password": password}, follow_redirects=False
    )


def login_as(client: TestClient, db: Session, role: Role, **kwargs) -> User:  # type: ignore[no-untyped-def]
    user = make_user(db, role, **kwargs)
    response = login(client, user.username)
    assert response.status_code == 303, response.text
    return user


def second_browser(client: TestClient) -> TestClient:
    """Another browser, on another client address, against the same app."""
    other = TestClient(client.app, client=("192.0.2.50", 50000))
    csrf_token(other)
    return other


def make_project(
    db: Session,
    station: Station | None = None,
    *,
    enterprise: Enterprise | None = None,
    officer: Officer | None = None,
    code: str | None = None,
    name: str | None = None,
) -> Project:
    """A project, with `officer` as its liaison officer when given (in the officer's station
    unless another is named)."""
    if station is None and officer is not None:
        station = db.get(Station, officer.station_id)
    station = station or make_station(db)
    enterprise = enterprise or make_enterprise(db)
    n = next(_serial)
    project = project_service.save_project(
        db,
        None,
        ProjectIn(
            code=code or f"XM-{n:04d}",
            name=name or f"测试项目{n}",
            enterprise_id=enterprise.id or 0,
            level=Level.DISTRICT,
            station_id=station.id or 0,
        ),
    )
    if officer is not None:
        project_service.assign_officer(db, project, officer, by_user_id=None, reason="测试")
    db.commit()
    return project


def make_hazard(
    db: Session,
    project: Project,
    finder: Officer,
    *,
    level: HazardLevel = HazardLevel.GENERAL,
    category: HazardCategory = HazardCategory.FIRE,
    photos: list[tuple[str, bytes]] | None = None,
    found_on: date | None = None,
) -> Hazard:
    hazard = hazard_service.log_hazard(
        db,
        get_settings(),
        project,
        finder,
        HazardIn(
            category=category,
            level=level,
            description="消防通道堵塞",
            found_on=found_on or project_service.today(),
        ),
        by_user_id=None,
        photos=photos or [],
    )
    db.commit()
    return hazard


def make_dispute(
    db: Session,
    project: Project,
    handler: Officer,
    *,
    agreement_fen: int | None = None,
    book_recovery: bool = False,
) -> Dispute:
    """A dispute under mediation; with `agreement_fen`, mediated successfully."""
    dispute = dispute_service.open_case(
        db,
        project,
        handler,
        DisputeIn(
            type=DisputeType.LABOUR,
            facts="拖欠农民工工资",
            received_on=project_service.today(),
            amount_fen=50_000_00,
            parties=[
                PartyIn(
                    role=PartyRole.APPLICANT,
                    name="张三",
                    phone="13900001111",
                    id_number="11010519491231002X",
                ),
                PartyIn(role=PartyRole.RESPONDENT, name="某建筑公司"),
            ],
        ),
        by_user_id=None,
    )
    if agreement_fen is not None:
        dispute_service.resolve(
            db,
            dispute,
            AgreementIn(
                obligations="被申请人支付工资",
                agreement_fen=agreement_fen,
                book_recovery=book_recovery,
            ),
            handler,
            by_user_id=None,
        )
    db.commit()
    return dispute


def make_recovery(
    db: Session, project: Project, officer: Officer, amount_fen: int = 1_000_00
) -> Recovery:
    entry, _ = recovery_service.record(
        db,
        project,
        officer,
        RecoveryIn(
            amount_fen=amount_fen,
            recovered_on=project_service.today(),
            source=RecoverySource.FRAUD_REFUND,
        ),
        by_user_id=None,
    )
    db.commit()
    return entry


def make_request(
    db: Session,
    project: Project | None = None,
    *,
    enterprise: Enterprise | None = None,
    content: str | None = None,
) -> ServiceRequest:
    """A request for help: from a project's poster when `project` is given, else to the duty
    desk; the enterprise's own when `enterprise` is given. Each its own text: the desk takes
    the same text from the same phone again soon after as the same request."""
    request, _ = desk_service.submit(
        db,
        RequestIn(
            type=RequestType.HELP,
            content=content or f"围挡被风吹倒，压住人行道（第 {next(_serial)} 处）",
            submitter_name="张三",
            submitter_phone="13811112222",
            channel=Channel.QR if project else Channel.WEB,
            enterprise_id=enterprise.id if enterprise else None,
        ),
        settings=get_settings(),
        project=project,
    )
    db.commit()
    return request
