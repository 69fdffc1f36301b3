"""The demo district: stations, officers, an enterprise, and a login for every role.
Later issues add projects, hazards, disputes, recoveries and requests to it."""

from sqlmodel import Session

from liaison.auth import service as auth_service
from liaison.auth.roles import Role
from liaison.config import Settings
from liaison.org import service as org_service
from liaison.org.models import Officer, Station
from liaison.org.uscc import uscc_check_char

DEMO_PASSWORD = "Liaison#Demo2023"  # noqa: S105  (demo only; demo refuses production)

STATIONS = [
    ("S01", "城关派出所"),
    ("S02", "开发区派出所"),
    ("S03", "高新区派出所"),
    ("S04", "江北派出所"),
    ("S05", "临港派出所"),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["伟", "敏", "静", "磊", "洋", "勇", "军", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏"]

# username, role, display name, badge (officers and chiefs), enterprise
DEMO_USERS = [
    ("demo-admin", Role.ADMIN, "系统管理员", None),
    ("demo-auditor", Role.AUDITOR, "安全审计员", None),
    ("demo-leader", Role.LEADER, "营商办 刘主任", None),
    ("demo-chief", Role.CHIEF, None, "010001"),
    ("demo-officer", Role.OFFICER, None, "010002"),
    ("demo-enterprise", Role.ENTERPRISE, "星河新材料 联系人", None),
]


def _uscc(serial: int) -> str:
    body = f"91350100MA{serial:07d}"
    return body + uscc_check_char(body)


def load(session: Session, settings: Settings) -> None:
    for index, (code, name) in enumerate(STATIONS):
        station = org_service.save_station(
            session, Station(code="", name=""), code=code, name=name, active=True
        )
        for n in range(1, 4 + index % 3):
            seq = index * 20 + n
            org_service.save_officer(
                session,
                Officer(badge_no="", name="", station_id=0),
                badge_no=f"{index + 1:02d}{n:04d}",
                name=SURNAMES[seq % len(SURNAMES)] + GIVEN[seq % len(GIVEN)],
                phone=f"139{seq:08d}",
                station_code=station.code,
            )
    enterprise = org_service.create_enterprise(session, uscc=_uscc(1), name="星河新材料有限公司")
    org_service.create_enterprise(session, uscc=_uscc(2), name="临港智能装备有限公司")
    for username, role, display_name, badge in DEMO_USERS:
        auth_service.create_user(
            session,
            settings,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            display_name=display_name or "",
            badge_no=badge,
            enterprise_uscc=enterprise.uscc if role == Role.ENTERPRISE else None,
            must_change_password=False,  # demo only: let people look around at once
        )


def is_loaded(session: Session) -> bool:
    return auth_service.get_by_username(session, DEMO_USERS[0][0]) is not None


def logins_text() -> str:
    lines = ["演示账号（密码均为 " + DEMO_PASSWORD + "）："]
    lines += [f"  {username:<16} {role.label}" for username, role, _, _ in DEMO_USERS]
    return "\n".join(lines)
