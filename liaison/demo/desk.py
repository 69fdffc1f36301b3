"""The demo desk: the 144 requests of 2023, all closed (the article's figure), the requests of the
other years from 2021 to the weeks before the demo is loaded (all closed and most rated), and
requests of the days before it is loaded in every state, some about to breach and some
breached."""

import random
from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from liaison import clock
from liaison.config import Settings
from liaison.desk import service
from liaison.desk.models import (
    Channel,
    RequestStatus,
    RequestType,
    Satisfaction,
    ServiceRequest,
    Topic,
)
from liaison.desk.schemas import RequestIn
from liaison.org.models import Station
from liaison.projects.models import Project

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
    desk = _Desk(session, rng, projects, settings)
    start = datetime.combine(date(2023, 1, 4), time(9), clock.LOCAL_TZ)
    for n in range(REQUESTS_2023):
        received = start + timedelta(days=rng.randint(0, 330), minutes=rng.randint(0, 600))
        desk.closed(n, received)
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


def load_history(
    session: Session,
    rng: random.Random,
    projects: list[Project],
    settings: Settings,
    spans: list[tuple[date, date, int]],
    covered_since: dict[int, date],
) -> None:
    """For each (first day, last day, count) of the other years: that many requests received
    between those days, about projects covered by then or none, each closed within its week
    and (but one in twenty) rated."""
    for first, last, count in spans:
        covered = [p for p in projects if covered_since[p.id or 0] <= first] or projects
        desk = _Desk(session, rng, covered, settings)
        for n in range(count):
            day = first + timedelta(days=rng.randint(0, (last - first).days))
            received = datetime.combine(day, time(9), clock.LOCAL_TZ)
            desk.closed(n, received + timedelta(minutes=rng.randint(0, 600)), rated=n % 20 != 9)
    session.flush()


class _Desk:
    """Submits requests and walks them through the desk's steps, each as of its moment."""

    def __init__(
        self, session: Session, rng: random.Random, projects: list[Project], settings: Settings
    ) -> None:
        self.session, self.rng, self.projects, self.settings = session, rng, projects, settings
        self.stations = sorted({p.station_id for p in projects})

    def closed(self, n: int, received: datetime, *, rated: bool = True) -> None:
        """The `n`th closed request of a year: a few first answered after the 24 hours, a few
        closed after the 7 days, one in 48 reopened once."""
        rng = self.rng
        late = n % 24 == 5
        respond = timedelta(hours=rng.randint(25, 40) if late else rng.randint(1, 15))
        days = 9 if n % 30 == 7 else 6
        close = respond + timedelta(hours=rng.randint(4, 24 * days))
        self.add(received, respond, close, S.CLOSED, reopen=n % 48 == 11, rated=rated)

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
        phone = f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
        name = rng.choice(NAMES)
        channel = (
            Channel.WEB
            if submitter
            else Channel.QR
            if project
            else rng.choice([Channel.WEB, Channel.PHONE, Channel.COUNTER])
        )
        submission = RequestIn(
            type=kind,
            content=content,
            submitter_name=name,
            submitter_phone=phone,
            topic=topic,
            channel=channel,
            enterprise_id=submitter[1] if submitter else None,
        )
        request, _ = service.submit(
            self.session,
            submission,
            settings=self.settings,
            project=project,
            by_user_id=submitter[0] if submitter else None,
            at=received,
        )
        self._walk(request, respond, close, finish, answer, reopen=reopen, duty=duty)
        if rated and request.status == S.CLOSED.value:
            service.rate(
                self.session,
                request,
                rng.choice(SATISFACTION),
                settings=self.settings,
                at=request.closed_at,
                reopen=False,  # history: the demo itself picks the requests that were reopened
            )

    def _walk(
        self,
        request: ServiceRequest,
        respond: timedelta | None,
        close: timedelta | None,
        finish: RequestStatus,
        answer: str,
        *,
        reopen: bool,
        duty: bool,
    ) -> None:
        """The request's steps up to `finish`, each taken as of its moment."""
        session, received = self.session, request.received_at
        if respond is None:
            return
        first = received + respond
        if finish == S.DECLINED:
            reason = "不属于公安机关职责，已告知向区市场监管局反映"
            service.decline(session, request, reason, by_user_id=None, at=first)
            return
        service.accept(session, request, by_user_id=None, at=first)
        if request.station_id is None and not duty:
            station = session.get(Station, self.rng.choice(self.stations))
            service.transfer(
                session,
                request,
                officer=None,
                station=station,
                reason="属地管辖",
                by_user_id=None,
                at=first,
            )
        if finish == S.ACCEPTED:
            return
        note = "已电话联系诉求人，了解详细情况"
        service.reply(
            session, request, note, public=False, by_user_id=None, at=first + timedelta(hours=1)
        )
        if finish == S.IN_PROGRESS:
            return
        done = received + (close or respond + timedelta(hours=2))
        service.reply(
            session, request, answer, public=True, by_user_id=None, at=done - timedelta(hours=1)
        )
        if finish == S.ANSWERED:
            return
        if reopen:
            service.close(session, request, answer, by_user_id=None, at=done)
            service.rate(
                session,
                request,
                Satisfaction.UNSATISFIED,
                settings=self.settings,
                reason="问题没有解决，希望再跟进",
                at=done + timedelta(hours=5),
            )
            done += timedelta(days=2)
            answer = f"{answer}；已再次上门回访并落实整改"
        service.close(session, request, answer, by_user_id=None, at=done)


TYPE_WEIGHTS = (
    [RequestType.CONSULTATION] * 4
    + [RequestType.COMPLAINT] * 2
    + [RequestType.SUGGESTION]
    + [RequestType.HELP] * 3
)
SATISFACTION = (
    [Satisfaction.SATISFIED] * 16 + [Satisfaction.FAIRLY] * 3 + [Satisfaction.UNSATISFIED]
)
