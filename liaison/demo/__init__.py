"""The demo district (PRODUCT.md, "The demo data set"): stations, officers with different loads,
enterprises, 264 key projects all covered, and a login for every role. Its history runs
continuously from 2021 (two years before the source year) to the day it is loaded: 2023 holds
the article's totals exactly, the other years a third to a half of its work (VOLUME: the
history costs its writes to load), so that 同比 has real figures in every year; the weeks
before the day loaded hold the open work. Visits, hazards, disputes, the ledger and the request
desk (demo/desk.py) are written through the domains' services, each as of its day.
Deterministic: the source year and the open work come from one seeded random source, the other
years from a second, so the same data every time and 2023 as it always was."""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from liaison import clock
from liaison.auth import service as auth_service
from liaison.auth.roles import STAFF_ROLES, Role
from liaison.config import Settings
from liaison.db import pk
from liaison.demo import desk
from liaison.disputes import service as dispute_service
from liaison.disputes.models import Dispute
from liaison.disputes.schemas import (
    AgreementIn,
    DisputeIn,
    DisputeType,
    PartyIn,
    PartyRole,
    Performance,
)
from liaison.enterprises import service as enterprise_service
from liaison.enterprises.models import Enterprise
from liaison.enterprises.schemas import ContactIn, EnterpriseIn
from liaison.enterprises.uscc import uscc_check_char
from liaison.hazards import service as hazard_service
from liaison.hazards.models import HazardCategory, HazardLevel, HazardStatus
from liaison.hazards.schemas import HazardIn
from liaison.notify import service as notify_service
from liaison.org import service as org_service
from liaison.org.models import Officer, Station
from liaison.org.schemas import OfficerIn, StationIn
from liaison.projects import service as project_service
from liaison.projects.models import CATEGORIES, Level, Project, Stage, VisitKind
from liaison.projects.schemas import ProjectIn
from liaison.recoveries import service as recovery_service
from liaison.recoveries.models import Recovery, RecoverySource
from liaison.recoveries.schemas import RecoveryIn, ReversalIn

DEMO_PASSWORD = "Liaison#Demo2023"  # noqa: S105  (demo only; demo refuses production)
PROJECTS = 264
YEAR = 2023
FIRST_YEAR = YEAR - 2  # the history starts two years before the source year
# Each other year's work as a share of the source year's: growing to it, about half of it
# after (the article's year was the campaign's). Every case costs its steps' writes, so this is
# also what the history costs to load: at these shares the demo loads in about twice the time
# the source year alone took.
VOLUME = {2021: 0.3, 2022: 0.42, 2024: 0.5, 2025: 0.46, 2026: 0.52}
QUIET_DAYS = 50  # the last weeks before the day loaded hold the open work, not the history

STATIONS = [
    ("S01", "城关派出所", "城关街道"),
    ("S02", "开发区派出所", "经开区"),
    ("S03", "高新区派出所", "高新区"),
    ("S04", "江北派出所", "江北镇"),
    ("S05", "临港派出所", "临港镇"),
    ("S06", "南山派出所", "南山街道"),
]
# Officers per station: loads differ because stations differ in size.
OFFICERS_PER_STATION = [8, 9, 7, 5, 6, 4]
PROJECT_SHARE = [0.2, 0.26, 0.2, 0.1, 0.14, 0.1]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = [
    "伟",
    "敏",
    "静",
    "磊",
    "洋",
    "勇",
    "军",
    "杰",
    "涛",
    "明",
    "超",
    "刚",
    "平",
    "辉",
    "鹏",
    "华",
    "强",
    "斌",
    "宁",
    "峰",
    "建国",
    "海燕",
    "志刚",
    "晓东",
    "文博",
    "子涵",
]
FIRM_TRADES = ["科技", "实业", "建设", "新材料", "智能", "物流"]
INDUSTRIES = [
    "制造业",
    "建筑业",
    "信息技术",
    "批发零售",
    "物流运输",
    "新能源",
    "生物医药",
    "文化旅游",
]
PROJECT_WORDS = [
    "产业园",
    "智能制造基地",
    "物流中心",
    "研发中心",
    "综合体",
    "新材料项目",
    "数据中心",
    "生产线技改",
    "安置房",
    "路网工程",
    "医院扩建",
    "污水处理厂",
    "光伏电站",
    "冷链仓储",
]
FIRM_WORDS = [
    "星河",
    "远航",
    "华盛",
    "博瑞",
    "中联",
    "天合",
    "恒信",
    "锦程",
    "鼎泰",
    "海川",
    "瑞丰",
    "宏达",
    "金桥",
    "新元",
    "嘉禾",
    "东方",
    "汇通",
    "长江",
    "凯旋",
    "盛世",
]

# username, role, display name, badge (officers and chiefs)
DEMO_USERS = [
    ("demo-admin", Role.ADMIN, "系统管理员", None),
    ("demo-security", Role.SECURITY, "安全管理员", None),
    ("demo-auditor", Role.AUDITOR, "安全审计员", None),
    ("demo-leader", Role.LEADER, "营商办 刘主任", None),
    ("demo-chief", Role.CHIEF, None, "010001"),
    ("demo-officer", Role.OFFICER, None, "010002"),
    ("demo-enterprise", Role.ENTERPRISE, None, None),
]


def _uscc(serial: int) -> str:
    body = f"91350100MA{serial:07d}"
    return body + uscc_check_char(body)


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


@dataclass
class _District:
    """What the visits, hazards and disputes are made from: one session, one seeded random
    source (the order of its draws is the data), the day loaded for, projects and crews."""

    session: Session
    settings: Settings
    rng: random.Random
    today: date
    projects: list[Project]
    officers: dict[int, list[Officer]]  # by station id
    history: random.Random  # the other years' draws, apart from the source year's
    # A project's first term (its officer from that day), for the years before the source year.
    first_terms: dict[int, tuple[date, Officer]]


@dataclass(frozen=True)
class Span:
    """One year of closed history, other than the source year: its days and its share of the
    source year's work (the share of the year it covers included)."""

    year: int
    start: date
    end: date
    volume: float

    def count(self, in_source_year: int) -> int:
        """How many of what the source year has `in_source_year` of."""
        return max(1, round(in_source_year * self.volume))

    def day(self, rng: random.Random, earliest: date | None = None, margin: int = 0) -> date:
        """A day of the span, not before `earliest`, `margin` days short of its end."""
        first = max(self.start, earliest or self.start)
        last = max(first, self.end - timedelta(days=margin))
        return first + timedelta(days=rng.randint(0, (last - first).days))


def spans(today: date) -> list[Span]:
    """The years from FIRST_YEAR to `today`'s, the source year apart, each up to QUIET_DAYS
    before `today`; a year with fewer than 60 such days is left out."""
    result = []
    for year in range(FIRST_YEAR, today.year + 1):
        start = date(year, 1, 1)
        end = min(date(year, 12, 31), today - timedelta(days=QUIET_DAYS))
        if year == YEAR or (end - start).days < 60:
            continue
        share = ((end - start).days + 1) / 365
        volume = VOLUME.get(year, 0.45 + 0.03 * (year % 4))
        result.append(Span(year, start, end, volume * min(1.0, share)))
    return result


def load(session: Session, settings: Settings, today: date | None = None) -> None:
    rng = random.Random(YEAR)
    today = today or clock.today()
    stations, officers = _stations_and_officers(session, rng)
    enterprises = _enterprises(session, rng)
    projects = _projects(session, rng, stations, enterprises)
    history = random.Random(f"{YEAR}-history")
    district = _District(session, settings, rng, today, projects, officers, history, {})
    _assignments_and_visits(district)
    # The logins first: what the services tell as the history is written reaches them.
    contact_user_id = _users(session, settings, enterprises[0])
    _hazards(district)
    _disputes_and_recoveries(district)
    desk.load(
        session,
        rng,
        projects,
        settings,
        contact_user_id=contact_user_id,
        enterprise_id=enterprises[0],
    )
    years = spans(today)
    for span in years:
        _history_hazards(district, span)
        _history_disputes_and_recoveries(district, span)
    _failed_disputes(district)
    requests = [(s.start, s.end - timedelta(days=15), s.count(desk.REQUESTS_2023)) for s in years]
    desk.load_history(session, history, projects, settings, requests, first_terms(district))
    _read_notifications(session)


READ_UP_TO = timedelta(days=2)  # staff have read what they were told before this long ago,
UNREAD_AT_LEAST = 3  # but for their last few, still in the bell


def _read_notifications(session: Session) -> None:
    """Each staff login has read what it was told, as of the moment it read it: all but what
    came in the last two days, and its last few, which wait in the bell."""
    recent = clock.now() - READ_UP_TO
    for username, role, _, _ in DEMO_USERS:
        user = auth_service.get_by_username(session, username)
        if user is None or role not in STAFF_ROLES:
            continue
        told = notify_service.notifications(pk(user)).offset(UNREAD_AT_LEAST - 1).limit(1)
        last_few = session.exec(told).first()
        moment = min(recent, last_few.created_at) if last_few else recent
        notify_service.mark_read_before(session, pk(user), moment)


def _stations_and_officers(
    session: Session, rng: random.Random
) -> tuple[list[Station], dict[int, list[Officer]]]:
    stations, officers = [], {}
    for index, ((code, name, _town), count) in enumerate(
        zip(STATIONS, OFFICERS_PER_STATION, strict=True)
    ):
        station = org_service.save_station(session, None, StationIn(code=code, name=name))
        stations.append(station)
        officers[pk(station)] = [
            org_service.save_officer(
                session,
                None,
                OfficerIn(
                    badge_no=f"{index + 1:02d}{n:04d}",
                    name=_person(rng),
                    phone=f"13{rng.randint(5, 9)}{rng.randint(0, 99999999):08d}",
                    station_code=code,
                ),
            )
            for n in range(1, count + 1)
        ]
    return stations, officers


def _enterprises(session: Session, rng: random.Random) -> list[int]:
    ids = []
    for serial in range(1, 201):
        town = rng.choice(STATIONS)[2]
        enterprise = enterprise_service.save_enterprise(
            session,
            None,
            EnterpriseIn(
                uscc=_uscc(serial),
                name=f"{rng.choice(FIRM_WORDS)}{rng.choice(FIRM_TRADES)}"
                f"{'有限公司' if serial % 4 else '股份有限公司'}（{serial:03d}）",
                industry=rng.choice(INDUSTRIES),
                town=town,
                address=f"{town}{rng.randint(1, 300)}号",
            ),
        )
        enterprise_service.save_contact(
            session,
            None,
            ContactIn(
                enterprise_id=pk(enterprise),
                name=_person(rng),
                title="安保负责人",
                phone=f"139{rng.randint(0, 99999999):08d}",
                is_primary=True,
            ),
        )
        ids.append(pk(enterprise))
    session.flush()
    return ids


def _projects(
    session: Session, rng: random.Random, stations: list[Station], enterprises: list[int]
) -> list[Project]:
    levels = (
        [Level.NATIONAL] * 2 + [Level.PROVINCIAL] * 10 + [Level.CITY] * 35 + [Level.DISTRICT] * 53
    )
    projects = []
    for n in range(1, PROJECTS + 1):
        station = rng.choices(stations, weights=PROJECT_SHARE)[0]
        data = ProjectIn(
            code=f"XM{YEAR}-{n:03d}",
            name=f"{rng.choice(FIRM_WORDS)}{rng.choice(PROJECT_WORDS)}",
            enterprise_id=enterprises[(n * 7) % len(enterprises)] if n > 1 else enterprises[0],
            level=rng.choice(levels),
            category=rng.choice(CATEGORIES),
            stage=rng.choices([Stage.PLANNING, Stage.BUILDING, Stage.OPERATING], weights=[2, 6, 3])[
                0
            ],
            investment_fen=rng.randint(500, 500_000) * 1_000_000,
            station_id=pk(station),
            site_security_contact=_person(rng),
            site_security_phone=f"137{rng.randint(0, 99999999):08d}",
            workforce=rng.randint(20, 3000),
            key_risks=rng.choice(
                [
                    "施工现场材料被盗",
                    "劳资纠纷易发",
                    "周边交通拥堵",
                    "消防通道占用",
                    "外来务工人员多",
                ]
            ),
        )
        projects.append(project_service.save_project(session, None, data))
    session.flush()
    return projects


def _assignments_and_visits(district: _District) -> None:
    session, rng, today = district.session, district.rng, district.today
    for project in district.projects:
        crew = district.officers[project.station_id]
        # Uneven loads: the first officers of a station carry more projects.
        officer = rng.choices(crew, weights=range(len(crew) + 2, 2, -1))[0]
        start = date(YEAR, 1, 1) + timedelta(days=rng.randint(0, 80))
        # Some projects were already covered before the source year (the other random source).
        since = _since(district.history, start)
        first_officer = officer
        if rng.random() < 0.08:  # a handover during the year keeps some history
            first = rng.choice([o for o in crew if o.id != officer.id] or crew)
            handover = start + timedelta(days=rng.randint(60, 200))
            project_service.assign_officer(
                session, project, first, by_user_id=None, reason="新项目配警", on=since
            )
            start, first_officer = handover, first
        project_service.assign_officer(
            session,
            project,
            officer,
            by_user_id=None,
            reason="新项目配警" if start.month < 4 else "岗位调整",
            on=since if first_officer is officer else start,
            end_reason="岗位调整",
        )
        district.first_terms[pk(project)] = (since, first_officer)
        visits = _visit_days(rng, start, today, district.settings.visit_interval_days)
        entries = []
        for day in visits:
            kind = rng.choices(list(VisitKind), weights=[6, 3, 1, 1])[0]
            entries.append(
                project_service.VisitEntry(day, kind, rng.choice(_SUMMARIES), at=_at(day))
            )
        recent = min((d for d in visits if d.year > YEAR), default=today)
        before, after = _history_visits(district, since, recent)
        if before:
            project_service.log_visits(session, project, first_officer, before, by_user_id=None)
        project_service.log_visits(session, project, officer, after + entries, by_user_id=None)


def _since(history: random.Random, start: date) -> date:
    """The day a project's first officer took it on: for one in three in 2021, one in three in
    2022, for the others `start` (early in the source year)."""
    year = history.choices([FIRST_YEAR, FIRST_YEAR + 1, YEAR], weights=[3, 3, 4])[0]
    if year == YEAR:
        return start
    return date(year, 1, 1) + timedelta(days=history.randint(0, 300))


def _history_visits(
    district: _District, since: date, recent: date
) -> tuple[list[project_service.VisitEntry], list[project_service.VisitEntry]]:
    """A project's visits outside the source year, lighter than its monthly ones: about quarterly
    from `since` to the end of the year before it, and every two or three months from the year
    after it until a few weeks before the visits of the weeks before today (`recent`, the first
    of them)."""
    rng = district.history

    def entries(first: date, last: date, gaps: tuple[int, int]) -> list[project_service.VisitEntry]:
        days, day = [], first + timedelta(days=rng.randint(5, 30))
        while day <= last:
            days.append(day)
            day += timedelta(days=rng.randint(*gaps))
        return [
            project_service.VisitEntry(
                d,
                rng.choices(list(VisitKind), weights=[6, 3, 1, 1])[0],
                rng.choice(_SUMMARIES),
                at=_at(d),
            )
            for d in days
        ]

    before = entries(since, date(YEAR - 1, 12, 31), (75, 110)) if since.year < YEAR else []
    after = entries(date(YEAR + 1, 1, 1), recent - timedelta(days=25), (60, 95))
    return before, after


def first_terms(district: _District) -> dict[int, date]:
    """The day each project (by id) was first covered."""
    return {project_id: since for project_id, (since, _) in district.first_terms.items()}


_SUMMARIES = [
    "走访企业负责人，了解项目建设进度和安保需求。",
    "巡查施工现场周边治安情况，未发现异常。",
    "开展防范电信诈骗宣传，发放资料。",
    "召开警企座谈会，听取企业诉求。",
    "检查现场消防通道和监控设施。",
]


def _visit_days(rng: random.Random, start: date, today: date, interval: int) -> list[date]:
    """About monthly through the demo year, and again in the weeks before today; one project
    in eight has let its last visit slip past the interval."""
    days, day = [], start + timedelta(days=rng.randint(3, 20))
    while day <= date(YEAR, 12, 31):
        days.append(day)
        day += timedelta(days=rng.randint(18, 34))
    late = rng.random() < 0.125
    recent = today - timedelta(
        days=rng.randint(interval + 5, interval + 40) if late else rng.randint(1, interval - 5)
    )
    days.append(recent)
    if not late and rng.random() < 0.6:
        days.append(recent - timedelta(days=rng.randint(20, 30)))
    return sorted(d for d in set(days) if d <= today)


HAZARDS_2023 = 106  # found and rectified in the source year, complex areas apart
AREAS_2023 = 4
DEADLINE_DAYS = {HazardLevel.MAJOR: 7, HazardLevel.SERIOUS: 15, HazardLevel.GENERAL: 30}
HAZARD_TEXT = {
    HazardCategory.FIRE: "消防通道堆放材料，灭火器过期",
    HazardCategory.PUBLIC_ORDER: "围挡破损，夜间无人值守",
    HazardCategory.TRAFFIC: "工地出入口无交通疏导",
    HazardCategory.WORK_SAFETY: "高处作业未系安全带",
    HazardCategory.ENVIRONMENT: "渣土车未覆盖",
    HazardCategory.OTHER: "外来人员登记不全",
    HazardCategory.COMPLEX_AREA: "项目周边出租屋集中，流动人口多，治安警情频发",
}


def _hazards(district: _District) -> None:
    """The 2023 ledger (106 hazards and 4 complex areas, all signed off) and work in progress
    found in the weeks before today: open, in rectification, awaiting review, some overdue.
    Each is recorded as of its day, and reviewed by an officer who neither found nor fixed it."""
    rng, today = district.rng, district.today
    categories = [c for c in HazardCategory if c != HazardCategory.COMPLEX_AREA]
    levels = [HazardLevel.GENERAL] * 6 + [HazardLevel.SERIOUS] * 3 + [HazardLevel.MAJOR]
    plan = [(c, date(YEAR, 1, 10), True) for c in [HazardCategory.COMPLEX_AREA] * AREAS_2023]
    plan += [(rng.choice(categories), date(YEAR, 1, 5), True) for _ in range(HAZARDS_2023)]
    plan += [(rng.choice(categories), today - timedelta(days=45), False) for _ in range(18)]
    for category, earliest, closed in plan:
        project = rng.choice(district.projects)
        finder, reviewer = rng.sample(district.officers[project.station_id], 2)
        level = (
            HazardLevel.SERIOUS if category == HazardCategory.COMPLEX_AREA else rng.choice(levels)
        )
        latest = date(YEAR, 11, 30) if closed else today - timedelta(days=1)
        found_on = earliest + timedelta(days=rng.randint(0, (latest - earliest).days))
        deadline = found_on + timedelta(days=DEADLINE_DAYS[level])
        status = HazardStatus.CLOSED if closed else rng.choice(list(HazardStatus)[:3])
        closed_on = (
            found_on + timedelta(days=rng.randint(2, (deadline - found_on).days))
            if closed
            else None
        )
        _record_hazard(
            district, rng, project, (finder, reviewer), category, level, found_on, status, closed_on
        )


def _record_hazard(
    district: _District,
    rng: random.Random,
    project: Project,
    crew: tuple[Officer, Officer],
    category: HazardCategory,
    level: HazardLevel,
    found_on: date,
    status: HazardStatus,
    closed_on: date | None,
) -> None:
    """One hazard as of the day it was found, walked to `status` by a reviewer who neither found
    nor fixed it, each step as of its day."""
    session, today = district.session, district.today
    finder, reviewer = crew
    deadline = found_on + timedelta(days=DEADLINE_DAYS[level])
    data = HazardIn(
        category=category,
        level=level,
        description=HAZARD_TEXT[category],
        location=rng.choice(["东门", "北侧围挡", "仓库", "生活区", "项目周边"]),
        found_on=found_on,
        deadline=deadline,
        responsible_party="施工总包单位",
    )
    hazard = hazard_service.log_hazard(
        session, district.settings, project, finder, data, by_user_id=None, at=_at(found_on)
    )
    last = closed_on or min(today, found_on + timedelta(days=6))
    for n, action in enumerate(_steps_to(status), start=1):
        day = last if action == "sign_off" else min(last, found_on + timedelta(days=n))
        hazard_service.transition(
            session,
            hazard,
            action,
            comment=f"{reviewer.name}：{hazard_service.STEPS[action].label}",
            role=Role.OFFICER,
            by_user_id=None,
            officer_id=pk(reviewer),
            at=_at(day),
            after_photo_required=False,  # the 2023 ledger's photos are on paper
        )


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10), clock.LOCAL_TZ)


def _steps_to(status: HazardStatus) -> list[str]:
    path = ["start", "submit", "sign_off"]
    return path[: list(HazardStatus).index(status)]


_Entry = tuple[Project, Officer, int, date, RecoverySource, int | None]
DISPUTES_2023 = 142
RECOVERED_2023_FEN = 714_760_000  # 714.76 万元
PARTY_NAMES = ["王建国", "李秀英", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄勇"]
FIRMS = ["某建筑劳务公司", "某材料供应商", "某物流公司", "某装饰工程公司"]


def _current_officer(session: Session, project: Project) -> Officer:
    term = project_service.current_assignment(session, pk(project))
    assert term is not None
    officer = session.get(Officer, term.officer_id)
    assert officer is not None
    return officer


# What the ledger holds besides mediated agreements: refunds, recovered goods, wages.
OTHER_SOURCES = [
    RecoverySource.FRAUD_REFUND,
    RecoverySource.STOLEN_GOODS,
    RecoverySource.WAGES,
    RecoverySource.OTHER,
]


def _book_agreement(
    ledger: list["_Entry"], dispute: Dispute, project: Project, handler: Officer, cap: int
) -> None:
    """A labour or contract case's agreed amount goes on the ledger, while the agreements
    booked stay within `cap` (half the year's total: the rest is refunds and goods)."""
    if (
        dispute.type in (DisputeType.LABOUR, DisputeType.CONTRACT)
        and dispute.agreement_fen
        and sum(entry[2] for entry in ledger) + dispute.agreement_fen <= cap
    ):
        ledger.append(
            (
                project,
                handler,
                dispute.agreement_fen,
                dispute.closed_on or dispute.received_on,
                RecoverySource.DISPUTE,
                pk(dispute),
            )
        )


def _disputes_and_recoveries(district: _District) -> None:
    """142 disputes mediated in 2023, the ledger adding up to 7,147,600.00 yuan for 2023 (a few
    entries reversed), and cases still under mediation in the weeks before today."""
    session, rng, today = district.session, district.rng, district.today
    ledger: list[_Entry] = []
    for n in range(DISPUTES_2023 + 6):
        project = rng.choice(district.projects)
        handler = _current_officer(session, project)
        ongoing = n >= DISPUTES_2023
        received = (
            today - timedelta(days=rng.randint(1, 25))
            if ongoing
            else date(YEAR, 1, 3) + timedelta(days=rng.randint(0, 330))
        )
        dispute = _open_dispute(
            district, rng, project, handler, f"JF{received:%Y%m%d}-{n + 1:04d}", received, ongoing
        )
        if not ongoing:
            _book_agreement(ledger, dispute, project, handler, RECOVERED_2023_FEN // 2)
    while sum(entry[2] for entry in ledger) < RECOVERED_2023_FEN * 0.85:
        project = rng.choice(district.projects)
        ledger.append(
            (
                project,
                _current_officer(session, project),
                rng.randint(100, 30_000) * 100_00 // 100,
                date(YEAR, 1, 5) + timedelta(days=rng.randint(0, 350)),
                rng.choice(OTHER_SOURCES),
                None,
            )
        )
    reversals = [
        (ledger[i], rng.randint(1, ledger[i][2] // 2)) for i in rng.sample(range(len(ledger)), 4)
    ]
    balance = (
        RECOVERED_2023_FEN - sum(e[2] for e in ledger) + sum(amount for _, amount in reversals)
    )
    project = rng.choice(district.projects)
    ledger.append(
        (
            project,
            _current_officer(session, project),
            balance,
            date(YEAR, 12, 20),
            RecoverySource.FRAUD_REFUND,
            None,
        )
    )
    _book(district, ledger, reversals, date(YEAR, 12, 28))


def _open_dispute(
    district: _District,
    rng: random.Random,
    project: Project,
    handler: Officer,
    code: str,
    received: date,
    ongoing: bool,
) -> Dispute:
    """A case received on its day and, unless `ongoing`, mediated within three weeks."""
    session = district.session
    kind = rng.choice(list(DisputeType))
    amount = rng.randint(5, 600) * 1_000_00
    facts = f"{kind.value}：{rng.choice(FIRMS)}与{rng.choice(PARTY_NAMES)}等发生争议"
    agreement = None
    if not ongoing:
        closed = received + timedelta(days=rng.randint(1, 20))
        agreement = AgreementIn(
            obligations="被申请人按约定支付款项，双方不再就此事争议",
            agreement_fen=amount * rng.choice([6, 8, 10]) // 10,
            performance_method="银行转账",
            perform_by=closed + timedelta(days=15),
            judicial_confirmation=rng.random() < 0.2,
            performance=Performance.PERFORMED,
        )
    parties = [
        PartyIn(
            role=PartyRole.APPLICANT,
            name=rng.choice(PARTY_NAMES),
            phone=f"139{rng.randint(0, 99999999):08d}",
        ),
        PartyIn(role=PartyRole.RESPONDENT, name=rng.choice(FIRMS)),
    ]
    dispute = dispute_service.open_case(
        session,
        project,
        handler,
        DisputeIn(
            code=code,
            type=kind,
            facts=facts,
            received_on=received,
            amount_fen=amount,
            parties=parties,
        ),
        by_user_id=None,
        at=_at(received),
    )
    if agreement is not None:
        dispute_service.resolve(
            session, dispute, agreement, handler, by_user_id=None, at=_at(closed)
        )
    return dispute


def _book(
    district: _District,
    ledger: list[_Entry],
    reversals: list[tuple[_Entry, int]],
    last_reversal: date,
) -> None:
    """A year's ledger entries in the order of their days, then its reversals, each a week after
    its entry (by `last_reversal` at the latest)."""
    session = district.session
    ledger.sort(key=lambda e: e[3])
    rows: dict[tuple[int, int, date], Recovery] = {}
    for n, (project, officer, amount, day, source, dispute_id) in enumerate(ledger, start=1):
        row, _ = recovery_service.record(
            session,
            project,
            officer,
            RecoveryIn(
                amount_fen=amount,
                recovered_on=day,
                source=source,
                dispute_id=dispute_id,
                note="演示数据",
            ),
            by_user_id=None,
            at=_at(day),
            code=f"WH{day:%Y%m%d}-{n:04d}",
        )
        rows[id(project), amount, day] = row
    for n, ((project, officer, amount, day, _source, _dispute), reversed_fen) in enumerate(
        reversals, start=1
    ):
        on = min(last_reversal, day + timedelta(days=7))
        recovery_service.reverse(
            session,
            rows[id(project), amount, day],
            officer,
            ReversalIn(amount_fen=reversed_fen, reason="金额录入有误，冲销差额", on=on),
            by_user_id=None,
            at=_at(on),
            code=f"WH{on:%Y%m%d}-R{n:03d}",
        )


# ---- the other years: FIRST_YEAR to the day loaded, from the second random source --------


def _project_in(district: _District, span: Span) -> tuple[Project, date, Officer]:
    """A project covered in the span (one covered for at least its last two months, before the
    source year), the first day it may have a case on, and its officer then."""
    while True:
        project = district.history.choice(district.projects)
        since, first = district.first_terms[pk(project)]
        if span.year > YEAR:
            return project, span.start, _current_officer(district.session, project)
        if since <= span.end - timedelta(days=60):
            return project, since, first


def _history_hazards(district: _District, span: Span) -> None:
    """A year's hazards of every level and its complex areas, found up to six weeks before the
    span ends: most rectified within their deadline, a few late, and in each year after the
    source year one still in rectification."""
    rng = district.history
    categories = [c for c in HazardCategory if c != HazardCategory.COMPLEX_AREA]
    levels = [HazardLevel.GENERAL] * 6 + [HazardLevel.SERIOUS] * 3 + [HazardLevel.MAJOR]
    plan = [HazardCategory.COMPLEX_AREA] * span.count(AREAS_2023)
    plan += [rng.choice(categories) for _ in range(span.count(HAZARDS_2023))]
    for n, category in enumerate(plan):
        project, since, _ = _project_in(district, span)
        crew = rng.sample(district.officers[project.station_id], 2)
        level = (
            HazardLevel.SERIOUS if category == HazardCategory.COMPLEX_AREA else rng.choice(levels)
        )
        found_on = span.day(rng, since, margin=42)
        still_open = span.year > YEAR and n == len(plan) - 1
        late = 20 if rng.random() < 0.06 else 0  # rectified, but after the deadline
        closed_on = (
            None
            if still_open
            else found_on + timedelta(days=rng.randint(2, DEADLINE_DAYS[level] + late))
        )
        status = HazardStatus.RECTIFYING if still_open else HazardStatus.CLOSED
        _record_hazard(
            district, rng, project, (crew[0], crew[1]), category, level, found_on, status, closed_on
        )


def _history_disputes_and_recoveries(district: _District, span: Span) -> None:
    """A year's disputes, all mediated, and its ledger: the source year's shape (agreements of
    labour and contract cases up to half of it, the rest refunds, recovered goods and wages,
    two or three entries reversed) for the span's share of the source year's total."""
    rng = district.history
    target = span.count(RECOVERED_2023_FEN // 100_00) * 100_00  # whole hundreds of yuan
    ledger: list[_Entry] = []
    for n in range(span.count(DISPUTES_2023)):
        project, since, handler = _project_in(district, span)
        received = span.day(rng, since, margin=30)
        code = f"JF{received:%Y%m%d}-{1001 + n:04d}"
        dispute = _open_dispute(district, rng, project, handler, code, received, ongoing=False)
        _book_agreement(ledger, dispute, project, handler, target // 2)
    while sum(entry[2] for entry in ledger) < target * 0.85:
        project, since, officer = _project_in(district, span)
        day = span.day(rng, since, margin=14)
        ledger.append(
            (project, officer, rng.randint(100, 30_000) * 100, day, rng.choice(OTHER_SOURCES), None)
        )
    reversals = [
        (ledger[i], rng.randint(1, ledger[i][2] // 2))
        for i in rng.sample(range(len(ledger)), rng.choice([2, 3]))
    ]
    balance = target - sum(e[2] for e in ledger) + sum(amount for _, amount in reversals)
    project, _, officer = _project_in(district, span)
    day = span.end - timedelta(days=10)
    ledger.append((project, officer, balance, day, RecoverySource.FRAUD_REFUND, None))
    _book(district, ledger, reversals, span.end)


def _failed_disputes(district: _District) -> None:
    """Three cases of the weeks before today where mediation failed. `dispute_service.fail`
    closes a case on the real today (it takes no `at`), so they are loaded only for today."""
    if district.today != clock.today():
        return
    rng = district.history
    for n in range(3):
        project = rng.choice(district.projects)
        received = district.today - timedelta(days=rng.randint(8, 40))
        code = f"JF{received:%Y%m%d}-{901 + n:04d}"
        handler = _current_officer(district.session, project)
        dispute = _open_dispute(district, rng, project, handler, code, received, ongoing=True)
        dispute_service.fail(district.session, dispute, "双方分歧较大，申请人已向人民法院起诉")


def _users(session: Session, settings: Settings, enterprise_id: int) -> int | None:
    """A login for every role; the enterprise contact is the first enterprise's primary contact,
    whose user id this returns."""
    enterprise = session.get(Enterprise, enterprise_id)
    contact = enterprise_service.contacts(session, enterprise_id)[0]
    assert enterprise is not None
    for username, role, display_name, badge in DEMO_USERS:
        is_contact = role == Role.ENTERPRISE
        user = auth_service.create_user(
            session,
            settings,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            display_name=contact.name if is_contact else display_name or "",
            badge_no=badge,
            enterprise_uscc=enterprise.uscc if is_contact else None,
            must_change_password=False,  # demo only: let people look around at once
        )
        if is_contact:
            enterprise_service.link_account(session, contact, pk(user))
    return contact.user_id


def is_loaded(session: Session) -> bool:
    return auth_service.get_by_username(session, DEMO_USERS[0][0]) is not None


def logins_text() -> str:
    lines = ["演示账号（密码均为 " + DEMO_PASSWORD + "）："]
    lines += [f"  {username:<16} {role.label}" for username, role, _, _ in DEMO_USERS]
    return "\n".join(lines)
