"""The demo desk: the 144 requests of 2023, all closed (the article's figure), and requests of
the days before the demo is loaded in every state, some about to breach and some breached."""

import random
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from liaison import clock
from liaison.config import Settings
from liaison.db import pk
from liaison.desk import sla
from liaison.desk.models import (
    Channel,
    RequestEvent,
    RequestStatus,
    RequestType,
    Satisfaction,
    ServiceRequest,
    Topic,
)
from liaison.projects.models import Assignment, Project

REQUESTS_2023 = 144
S = RequestStatus

# What people ask, by type: (topic, content, public answer).
ASKS = {
    RequestType.CONSULTATION: [
        (
            Topic.BUSINESS,
            "新厂区投产前需要向公安机关备案哪些安保事项？",
            "已告知备案清单和办理窗口",
        ),
        (Topic.DOCUMENTS, "外地员工办理居住证需要哪些材料？", "已告知所需材料，可在社区警务室办理"),
        (Topic.BUSINESS, "单位内部保卫人员上岗需要什么资质？", "已告知保安员证办理流程"),
    ],
    RequestType.COMPLAINT: [
        (
            Topic.PUBLIC_ORDER,
            "工地门口夜间常有车辆乱停，影响材料运输",
            "已联系交警加强巡查并施划临时停车区",
        ),
        (Topic.PUBLIC_ORDER, "项目周边有人多次强行揽活、阻拦车辆", "已依法处置，涉事人员已被训诫"),
        (Topic.DISPUTE, "分包单位拖欠材料款，对方堵门阻工", "已组织双方调解，达成分期付款协议"),
    ],
    RequestType.SUGGESTION: [
        (
            Topic.PUBLIC_ORDER,
            "建议在园区路口增设监控探头",
            "已将建议转交分局科技信息化部门并纳入计划",
        ),
        (Topic.BUSINESS, "建议定期到企业开展防诈骗宣传", "已安排本月到企业开展反诈宣传"),
    ],
    RequestType.HELP: [
        (Topic.PUBLIC_ORDER, "工地夜间电缆被盗，请求协助", "已立案侦查，加强夜间巡逻"),
        (Topic.PUBLIC_ORDER, "仓库发现可疑人员徘徊，请派人查看", "民警已到场核查，已加装照明"),
        (Topic.DISPUTE, "工人因工资问题聚集，请求到场", "民警已到场疏导，协调劳动监察部门处理"),
    ],
}
NAMES = ["周经理", "吴女士", "郑先生", "孙主管", "钱工", "冯经理", "陈会计", "卫女士"]


def load(
    session: Session,
    rng: random.Random,
    projects: list[Project],
    settings: Settings,
    *,
    contact_user_id: int | None,
    enterprise_id: int,
) -> None:
    desk = _Desk(session, rng, projects, sla.levels(session, settings))
    start = datetime.combine(date(2023, 1, 4), time(9), clock.LOCAL_TZ)
    for n in range(REQUESTS_2023):
        received = start + timedelta(days=rng.randint(0, 330), minutes=rng.randint(0, 600))
        late = n % 24 == 5  # a few first answered after the 24 hours
        respond = timedelta(hours=rng.randint(25, 40) if late else rng.randint(1, 15))
        days = 9 if n % 30 == 7 else 6  # and a few closed after the 7 days
        close = respond + timedelta(hours=rng.randint(4, 24 * days))
        desk.add(received, respond, close, S.CLOSED, reopen=n % 48 == 11)
    now = clock.now()
    own = next((p for p in projects if p.enterprise_id == enterprise_id), None)
    recent = [
        (timedelta(hours=30), None, None, S.NEW),  # no answer after a day: breached
        (timedelta(hours=21), None, None, S.NEW),  # about to breach
        (timedelta(hours=2), None, None, S.NEW),
        (timedelta(days=8), timedelta(hours=3), None, S.IN_PROGRESS),  # closure overdue
        (timedelta(days=6, hours=8), timedelta(hours=5), None, S.ANSWERED),  # closure soon
        (timedelta(days=3), timedelta(hours=1), None, S.ACCEPTED),
        (timedelta(days=2), timedelta(hours=6), None, S.IN_PROGRESS),
        (timedelta(days=5), timedelta(hours=2), timedelta(days=2), S.CLOSED),
        (timedelta(days=4), timedelta(hours=4), timedelta(days=1), S.CLOSED),
        (timedelta(days=1), timedelta(hours=3), None, S.DECLINED),
    ]
    for n, (ago, answered_after, closed_after, finish) in enumerate(recent):
        mine = n in (5, 7)  # the demo enterprise's own, submitted by its contact
        desk.add(
            now - ago,
            answered_after,
            closed_after,
            finish,
            duty=n in (2, 6),
            rated=n != 8,
            project=own if mine else None,
            submitter=(contact_user_id, enterprise_id) if mine else None,
        )
    session.flush()


class _Desk:
    """Adds requests with their timelines, numbered by day as the desk numbers them."""

    def __init__(
        self,
        session: Session,
        rng: random.Random,
        projects: list[Project],
        levels: dict[RequestType, sla.Level],
    ) -> None:
        self.session, self.rng, self.projects, self.levels = session, rng, projects, levels
        self.serial: dict[date, int] = {}
        self.stations = sorted({p.station_id for p in projects})
        # Each project's current officer, read once: requests are routed to them.
        self.officers = dict(
            session.execute(
                sa.select(col(Assignment.project_id), col(Assignment.officer_id)).where(
                    col(Assignment.end_date).is_(None)
                )
            ).all()
        )

    def add(
        self,
        received: datetime,
        respond: timedelta | None,
        close: timedelta | None,
        finish: RequestStatus,
        *,
        reopen: bool = False,
        duty: bool = False,
        rated: bool = True,
        project: Project | None = None,
        submitter: tuple[int | None, int] | None = None,
    ) -> None:
        rng = self.rng
        kind = rng.choice(TYPE_WEIGHTS)
        topic, content, answer = rng.choice(ASKS[kind])
        if project is None and not duty and rng.random() < 0.65:
            project = rng.choice(self.projects)
        day = clock.local(received).date()
        self.serial[day] = self.serial.get(day, 0) + 1
        level = self.levels[kind]
        phone = f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
        request = ServiceRequest(
            tracking_no=f"YY{day:%Y%m%d}-{self.serial[day]:04d}",
            type=kind.value,
            topic=topic.value,
            content=content,
            submitter_name=rng.choice(NAMES),
            submitter_phone=phone,
            phone_last4=phone[-4:],
            project_id=project.id if project else None,
            enterprise_id=submitter[1] if submitter else None,
            created_by_id=submitter[0] if submitter else None,
            channel=(
                Channel.WEB
                if submitter
                else Channel.QR
                if project
                else rng.choice([Channel.WEB, Channel.PHONE, Channel.COUNTER])
            ).value,
            officer_id=self.officers.get(project.id) if project else None,
            station_id=project.station_id if project else None,
            received_at=received,
            respond_by=sla.respond_deadline(level, received),
            close_by=sla.close_deadline(self.session, level, received),
        )
        self.session.add(request)
        self.session.flush()
        events = self._events(request, respond, close, finish, answer, reopen=reopen, duty=duty)
        if rated and request.status == S.CLOSED.value:
            request.satisfaction = rng.choice(SATISFACTION).value
            events.append(("rate", True, request.satisfaction, request.closed_at))
        self.session.add_all(
            RequestEvent(request_id=pk(request), kind=k, public=public, body=body, at=at)
            for k, public, body, at in events
            if at is not None
        )

    def _events(
        self,
        request: ServiceRequest,
        respond: timedelta | None,
        close: timedelta | None,
        finish: RequestStatus,
        answer: str,
        *,
        reopen: bool,
        duty: bool,
    ) -> list[tuple[str, bool, str, datetime | None]]:
        """The request's timeline up to `finish`, setting its status and times on the way."""
        received = request.received_at
        if respond is None:
            return []
        first = received + respond
        request.first_response_at = first
        if finish == S.DECLINED:
            reason = "不属于公安机关职责，已告知向区市场监管局反映"
            request.status, request.outcome, request.closed_at = finish.value, reason, first
            return [("decline", True, reason, first)]
        events: list[tuple[str, bool, str, datetime | None]] = [("accept", True, "已受理", first)]
        if request.station_id is None and not duty:
            station = self.rng.choice(self.stations)
            request.station_id = station
            events.append(("transfer", False, "转至辖区派出所：属地管辖", first))
        request.status = finish.value
        if finish == S.ACCEPTED:
            return events
        events.append(("note", False, "已电话联系诉求人，了解详细情况", first + timedelta(hours=1)))
        if finish == S.IN_PROGRESS:
            return events
        done = received + (close or respond + timedelta(hours=2))
        events.append(("reply", True, answer, done - timedelta(hours=1)))
        if finish == S.ANSWERED:
            return events
        if reopen:
            events.append(("close", True, answer, done))
            events.append(("reopen", True, "不满意，重办", done + timedelta(hours=5)))
            request.reopened = True
            done += timedelta(days=2)
            answer = f"{answer}；已再次上门回访并落实整改"
        request.outcome, request.closed_at = answer, done
        events.append(("close", True, answer, done))
        return events


TYPE_WEIGHTS = (
    [RequestType.CONSULTATION] * 4
    + [RequestType.COMPLAINT] * 2
    + [RequestType.SUGGESTION]
    + [RequestType.HELP] * 3
)
SATISFACTION = (
    [Satisfaction.SATISFIED] * 16 + [Satisfaction.FAIRLY] * 3 + [Satisfaction.UNSATISFIED]
)
