"""A district of two stations, each with one of every record a login can open by id, and the
rule of who reaches what, written from the product's words (README, "Who may do what") rather
than from the code under test: the security tests compare the app against it."""

import re
from dataclasses import dataclass, field, fields
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from liaison.attachments import service as attachments
from liaison.attachments.models import Attachment
from liaison.audit.models import AuditLog
from liaison.auth import passwords
from liaison.auth import service as auth_service
from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.desk.models import ServiceRequest
from liaison.desk.service import OWNER as REQUEST_OWNER
from liaison.disputes.models import Dispute
from liaison.enterprises import service as enterprise_service
from liaison.enterprises.models import Enterprise, EnterpriseContact
from liaison.enterprises.schemas import ContactIn
from liaison.hazards.models import Hazard, HazardCategory
from liaison.hazards.service import OWNER as HAZARD_OWNER
from liaison.ledger.models import LedgerUpload
from liaison.org.models import Officer, Station
from liaison.pages.recoveries import OWNER as RECOVERY_OWNER
from liaison.projects import service as project_service
from liaison.projects.models import Project, Visit, VisitKind
from liaison.recoveries.models import Recovery
from tests.factories import (
    login,
    make_dispute,
    make_enterprise,
    make_hazard,
    make_officer,
    make_project,
    make_recovery,
    make_request,
    make_station,
    make_user,
)
from tests.images import jpeg

OWN, OTHER = "own", "other"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest, for the modules that import this fixture: they make a dozen
    logins to test who reaches what, not how passwords are stored (tests/auth does)."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=256))


# What of a station belongs to its enterprise (the one whose contact logs in): the contact
# reaches these and nothing else. The spare project is another enterprise's, and what hangs
# on it (the area, the spare request) is not the contact's either; nor is a request someone
# else sent from the poster of the enterprise's own project (a worker's complaint, say), nor
# a dispute on it: a case is often the enterprise's workers against it (issue 18, finding 14).
ENTERPRISE_OWNS = frozenset(
    {
        "enterprise",
        "project",
        "hazard",
        "recovery",
        "request",
        "hazard_photo",
        "request_photo",
        "recovery_photo",
    }
)
# Station staff serve enterprises district-wide (README: enterprises are not a station's).
DISTRICT_WIDE = frozenset({"enterprise", "spare_enterprise"})
# The bureau's own: a request at the duty desk belongs to no station until it is transferred.
BUREAU = frozenset({"duty_request"})


# The pages that open a record by its id, and a link to one in a page's HTML.
RECORD_PAGES: dict[type, str] = {
    Project: "/projects/",
    Enterprise: "/enterprises/",
    Hazard: "/hazards/",
    Dispute: "/disputes/",
    Recovery: "/recoveries/",
    ServiceRequest: "/requests/",
    Attachment: "/attachments/",
}
RECORD_LINK = re.compile(
    r'href="(/(?:projects|enterprises|hazards|disputes|recoveries|requests|attachments)/\d+)'
    r'(?=[/"?#])'
)


@dataclass
class Side:
    """One station and its records. `officer` is the project's liaison officer; `spare` is an
    uncovered project of another enterprise of the same station."""

    station: Station
    officer: Officer
    chief: Officer
    enterprise: Enterprise
    spare_enterprise: Enterprise
    contact: EnterpriseContact
    project: Project
    spare: Project
    visit: Visit
    hazard: Hazard
    area: Hazard
    dispute: Dispute
    recovery: Recovery
    request: ServiceRequest  # the enterprise's own, for the project, with a photo
    poster_request: ServiceRequest  # someone else's, from the project's QR poster
    spare_request: ServiceRequest
    hazard_photo: Attachment
    request_photo: Attachment
    recovery_photo: Attachment

    def id(self, name: str) -> int:
        return int(getattr(self, name).id)


def _photo(db: Session, owner: str, owner_id: int, tag: str = "") -> Attachment:
    [saved] = attachments.add(
        db, owner_type=owner, owner_id=owner_id, files=[("现场.jpg", jpeg())], tag=tag
    )
    db.commit()
    return saved


def build_side(db: Session) -> Side:
    station = make_station(db)
    officer, chief = make_officer(db, station), make_officer(db, station)
    enterprise, spare_enterprise = make_enterprise(db), make_enterprise(db)
    contact = enterprise_service.save_contact(
        db,
        None,
        ContactIn(
            enterprise_id=enterprise.id,
            name="李联系",
            title="行政",
            phone="13700001111",
            is_primary=True,
        ),
    )
    project = make_project(db, station, enterprise=enterprise, officer=officer)
    spare = make_project(db, station, enterprise=spare_enterprise)
    visit = project_service.log_visit(
        db,
        project,
        officer,
        visit_date=project_service.today(),
        kind=VisitKind.VISIT,
        summary="走访企业，了解用工情况",
        by_user_id=None,
    )
    db.commit()
    hazard = make_hazard(db, project, officer, photos=[("现场.jpg", jpeg())])
    [hazard_photo] = attachments.for_owner(db, HAZARD_OWNER, hazard.id or 0)
    area = make_hazard(db, spare, officer, category=HazardCategory.COMPLEX_AREA)
    dispute = make_dispute(db, project, officer, agreement_fen=2_000_00)
    recovery = make_recovery(db, project, officer)
    request = make_request(db, project, enterprise=enterprise)
    poster_request = make_request(db, project, content="工地夜间施工噪音扰民，希望协调")
    spare_request = make_request(db, spare)
    return Side(
        station=station,
        officer=officer,
        chief=chief,
        enterprise=enterprise,
        spare_enterprise=spare_enterprise,
        contact=contact,
        project=project,
        spare=spare,
        visit=visit,
        hazard=hazard,
        area=area,
        dispute=dispute,
        recovery=recovery,
        request=request,
        poster_request=poster_request,
        spare_request=spare_request,
        hazard_photo=hazard_photo,
        request_photo=_photo(db, REQUEST_OWNER, request.id or 0),
        recovery_photo=_photo(db, RECOVERY_OWNER, recovery.id or 0, "evidence"),
    )


@dataclass
class World:
    """Two stations; the logins of station and enterprise roles belong to the `own` one."""

    db: Session
    own: Side
    other: Side
    duty_request: ServiceRequest  # the bureau's duty desk: no project, no station yet
    audit_row: AuditLog
    upload: LedgerUpload
    users: dict[Role, User] = field(default_factory=dict)

    def side(self, name: str) -> Side:
        return self.own if name == OWN else self.other

    def user(self, role: Role) -> User:
        """The login of `role`, made the first time it is asked for (hashing is slow)."""
        if role not in self.users:
            links: dict[str, Any] = {
                Role.OFFICER: {"officer": self.own.officer},
                Role.CHIEF: {"officer": self.own.chief},
                Role.ENTERPRISE: {"enterprise": self.own.enterprise},
            }.get(role, {})
            self.users[role] = make_user(self.db, role, **links)
        return self.users[role]

    @property
    def account(self) -> User:
        """A login for the admin's user page to open: any there is."""
        return next(iter(self.users.values()), None) or self.user(Role.LEADER)

    def login(self, client: TestClient, role: Role) -> User:
        user = self.user(role)
        response = login(client, user.username)
        assert response.status_code == 303, response.text
        return user

    def bearer(self, role: Role) -> dict[str, str]:
        token = auth_service.create_api_token(self.db, self.user(role))
        self.db.commit()
        return {"Authorization": f"Bearer {token}"}

    def reaches(self, role: Role, side: str, name: str) -> bool:
        """Whether a login of `role` may see record `name` of station `side`."""
        if role in (Role.LEADER, Role.ADMIN):
            return True
        if name in BUREAU:
            return False
        if role in (Role.OFFICER, Role.CHIEF):
            return side == OWN or name in DISTRICT_WIDE
        if role == Role.ENTERPRISE:
            return side == OWN and name in ENTERPRISE_OWNS
        return False

    def record(self, side: str, name: str) -> Any:
        """Record `name` of station `side`, or the bureau's or an admin's record `name`."""
        found = getattr(self.side(side), name, None)
        return found if found is not None else getattr(self, name)

    def stray_links(self, role: Role, html: str) -> set[str]:
        """Links in `html` to a record of the world that `role` may not open: a page must not
        name what its reader may not see (a tracking number is half of a tracking login)."""
        names = [f.name for f in fields(Side)] + sorted(BUREAU)
        reached = {
            RECORD_PAGES[type(row)] + str(row.id)
            for row in self.visible(role, tuple(names))
            if type(row) in RECORD_PAGES
        }
        return set(RECORD_LINK.findall(html)) - reached

    def visible(self, role: Role, names: tuple[str, ...]) -> list[Any]:
        """Records `names` of both stations (and the bureau's) that `role` reaches."""
        found = {
            (type(row), row.id): row
            for side in (OWN, OTHER)
            for name in names
            if self.reaches(role, side, name) and (row := self.record(side, name))
        }
        return list(found.values())


def build_world(db: Session) -> World:
    own, other = build_side(db), build_side(db)
    duty_request = make_request(db, content="想咨询一下企业开办需要的证明材料")
    upload = LedgerUpload(filename="台账.xlsx", size=0, sha256="0" * 64, data=b"")
    db.add(upload)
    db.commit()
    audit_row = db.exec(select(AuditLog).order_by(AuditLog.id)).first()
    assert audit_row is not None
    return World(db, own, other, duty_request, audit_row, upload)
