"""Importing a ledger: all or nothing, idempotent by each sheet's code column.

`check()` reads every row, resolves every reference (to a row of the file or a record already
in the database), and diffs each row against its record: the dry run. `apply()` writes a clean
plan in one transaction, in dependency order; each write goes through the ORM, so each is in the
audit log. The recovery ledger only ever grows: a changed entry is an error, never an update."""

import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from liaison.config import Settings
from liaison.desk import service as desk
from liaison.desk import sla
from liaison.desk.models import (
    CLOSED_STATUSES,
    Channel,
    RequestStatus,
    RequestType,
    ServiceRequest,
    Topic,
)
from liaison.disputes.models import Dispute, DisputeStatus
from liaison.enterprises.models import Enterprise, EnterpriseContact
from liaison.hazards import service as hazards_service
from liaison.hazards.models import Hazard, HazardEvent, HazardStatus
from liaison.ledger import schema
from liaison.ledger.reader import Source
from liaison.org.models import Officer, Station
from liaison.projects.models import Assignment, Project, Stage
from liaison.projects.service import today
from liaison.recoveries import service as recoveries_service
from liaison.recoveries.models import Recovery

Values = dict[str, Any]


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.sheet} 第 {self.row} 行" + (f"「{self.column}」" if self.column else "")
        return f"{where}：{self.reason}"


@dataclass
class Row:
    number: int
    values: Values
    record: Any = None  # the existing record with this code, if any
    fields: Values = field(default_factory=dict)  # what the record should hold
    action: str = ""  # add, update or unchanged


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class Plan:
    rows: dict[str, list[Row]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    known: "_Known | None" = None  # the records the file's codes name, as check() found them

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, Counts]:
        result = {}
        for sheet in schema.SHEETS:
            counts = Counts()
            for row in self.rows.get(sheet.name, []):
                if row.action == "add":
                    counts.added += 1
                elif row.action == "update":
                    counts.updated += 1
                elif row.action == "unchanged":
                    counts.unchanged += 1
            result[sheet.name] = counts
        return result

    @property
    def total(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


# ---- reading the sheets ----------------------------------------------------------------


def _header_key(cell: Any) -> str:
    return unicodedata.normalize("NFKC", schema.as_text(cell)).replace(" ", "").rstrip("*")


def _read_sheet(source: Source, sheet: schema.Sheet, plan: Plan) -> list[Row]:
    rows = source.rows(sheet.name)
    header = next(rows, None)
    if header is None:
        return []
    index = _column_index(sheet, header[1], plan)
    if index is None:
        return []
    result: list[Row] = []
    seen: dict[str, int] = {}
    for number, cells in rows:
        if all(schema.as_text(c) == "" for c in cells):
            continue
        values = _parse_row(sheet, number, cells, index, plan)
        if not _repeats_a_code(sheet, number, values, seen, plan):
            result.append(Row(number, values))
    return result


def _column_index(
    sheet: schema.Sheet, header: list[Any], plan: Plan
) -> dict[str, int | None] | None:
    """Each column's position in the file (None when an optional one is absent); None, and a
    problem per column, when a required column is missing."""
    positions = {_header_key(cell): i for i, cell in enumerate(header) if cell is not None}
    wanted = {unicodedata.normalize("NFKC", c.header): c for c in sheet.columns}
    missing = [c for h, c in wanted.items() if c.required and h not in positions]
    for column in missing:
        plan.problems.append(Problem(sheet.name, 1, column.header, "缺少此列"))
    if missing:
        return None
    return {c.key: positions.get(h) for h, c in wanted.items()}


def _parse_row(
    sheet: schema.Sheet, number: int, cells: list[Any], index: dict[str, int | None], plan: Plan
) -> Values:
    """The row's values by column key; a cell that does not parse is None, and a problem."""
    values: Values = {}
    for column in sheet.columns:
        at = index[column.key]
        raw = cells[at] if at is not None and at < len(cells) else None
        try:
            values[column.key] = column.parse(raw)
        except schema.CellError as exc:
            plan.problems.append(Problem(sheet.name, number, column.header, str(exc)))
            values[column.key] = None
            continue
        if column.required and values[column.key] in ("", None):
            plan.problems.append(Problem(sheet.name, number, column.header, "此项必填"))
    return values


def _repeats_a_code(
    sheet: schema.Sheet, number: int, values: Values, seen: dict[str, int], plan: Plan
) -> bool:
    """Whether an earlier row has the same code (a problem: the row is dropped); else the
    code is remembered in `seen`."""
    key = values.get(sheet.key)
    if not key:
        return False
    if key in seen:
        reason = f"编号 {key} 与第 {seen[key]} 行重复"
        plan.problems.append(Problem(sheet.name, number, sheet.column(sheet.key).header, reason))
        return True
    seen[key] = number
    return False


def read(source: Source) -> Plan:
    """Every row of every known sheet, parsed; sheets the file lacks are empty."""
    plan = Plan()
    names = set(source.sheet_names())
    for sheet in schema.SHEETS:
        plan.rows[sheet.name] = _read_sheet(source, sheet, plan) if sheet.name in names else []
    if not any(plan.rows.values()) and not plan.problems:
        known = "、".join(s.name for s in schema.SHEETS)
        plan.problems.append(Problem("", 0, "", f"文件中没有可导入的表（应为：{known}）"))
    return plan


# ---- references and differences -------------------------------------------------------


def _by(session: Session, model: Any, attribute: str, keys: Iterable[str]) -> dict[str, Any]:
    """Existing records by code, for the codes the file mentions, in chunks of 500."""
    wanted = sorted({k for k in keys if k})
    found = {}
    column = getattr(model, attribute)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for record in session.exec(select(model).where(col(column).in_(chunk))).all():
            found[getattr(record, attribute)] = record
    return found


class _Resolver:
    """Finds what a code names, in the file first, then in the database; says when neither."""

    def __init__(self, plan: Plan, sheet: str) -> None:
        self.plan, self.sheet = plan, sheet

    def need(self, row: Row, key: str, known: set[str], what: str) -> bool:
        value = row.values.get(key)
        if value and value not in known:
            column = schema.BY_NAME[self.sheet].column(key).header
            self.plan.problems.append(
                Problem(self.sheet, row.number, column, f"没有{what} {value}")
            )
            return False
        return True

    def fail(self, row: Row, key: str, reason: str) -> None:
        column = schema.BY_NAME[self.sheet].column(key).header if key else ""
        self.plan.problems.append(Problem(self.sheet, row.number, column, reason))


def _diff(row: Row, record: Any, fields: Values) -> None:
    row.record, row.fields = record, fields
    if record is None:
        row.action = "add"
    elif any(getattr(record, k) != v for k, v in fields.items() if not k.startswith("_")):
        row.action = "update"
    else:
        row.action = "unchanged"


@dataclass
class _Known:
    """Every code the file or the database holds, per kind, and the records behind them."""

    stations: dict[str, Station]
    officers: dict[str, Officer]
    enterprises: dict[str, Enterprise]
    projects: dict[str, Project]
    hazards: dict[str, Hazard]
    disputes: dict[str, Dispute]
    recoveries: dict[str, Recovery]
    requests: dict[str, ServiceRequest]


def _collect(session: Session, plan: Plan) -> _Known:
    rows = plan.rows

    def keys(sheet: str, *columns: str) -> set[str]:
        return {r.values.get(c) or "" for r in rows[sheet] for c in columns}

    officer_keys = keys("民警", "badge_no") | keys("重点项目", "officer") | keys("隐患", "finder")
    officer_keys |= keys("纠纷", "handler") | keys("挽回损失", "officer")
    project_keys = keys("重点项目", "code") | keys("隐患", "project") | keys("纠纷", "project")
    project_keys |= keys("挽回损失", "project") | keys("诉求", "project")
    links = keys("挽回损失", "link")
    return _Known(
        stations=_by(
            session,
            Station,
            "code",
            keys("派出所", "code") | keys("民警", "station") | keys("重点项目", "station"),
        ),
        officers=_by(session, Officer, "badge_no", officer_keys),
        enterprises=_by(
            session, Enterprise, "uscc", keys("企业", "uscc") | keys("重点项目", "enterprise")
        ),
        projects=_by(session, Project, "code", project_keys),
        hazards=_by(session, Hazard, "code", keys("隐患", "code") | links),
        disputes=_by(session, Dispute, "code", keys("纠纷", "code") | links),
        recoveries=_by(session, Recovery, "code", keys("挽回损失", "code") | links),
        requests=_by(session, ServiceRequest, "tracking_no", keys("诉求", "tracking_no")),
    )


def check(session: Session, source: Source, settings: Settings) -> Plan:
    """The dry run: every problem, and for every row whether it adds, updates or changes nothing."""
    plan = read(source)
    known = plan.known = _collect(session, plan)
    _check_stations(plan, known)
    _check_officers(session, plan, known)
    _check_enterprises(session, plan, known)
    _check_projects(session, plan, known)
    _check_hazards(plan, known)
    _check_disputes(plan, known)
    _check_recoveries(session, plan, known)
    _check_requests(plan, known, sla.levels(session, settings))
    plan.problems.sort(key=lambda p: (_SHEET_ORDER.get(p.sheet, -1), p.row))
    return plan


_SHEET_ORDER = {sheet.name: n for n, sheet in enumerate(schema.SHEETS)}


def _codes(plan: Plan, sheet: str, key: str, existing: dict[str, Any]) -> set[str]:
    return {r.values[key] for r in plan.rows[sheet] if r.values.get(key)} | set(existing)


def _check_stations(plan: Plan, known: _Known) -> None:
    for row in plan.rows["派出所"]:
        _diff(row, known.stations.get(row.values["code"]), {"name": row.values["name"]})


def _current_officers(session: Session, project_ids: Iterable[int]) -> dict[int, Assignment]:
    ids = list(project_ids)
    terms = session.exec(
        select(Assignment).where(
            col(Assignment.project_id).in_(ids), col(Assignment.end_date).is_(None)
        )
    ).all()
    return {t.project_id: t for t in terms}


def _check_officers(session: Session, plan: Plan, known: _Known) -> None:
    stations = _codes(plan, "派出所", "code", known.stations)
    resolve = _Resolver(plan, "民警")
    holding = {
        officer_id
        for (officer_id,) in session.execute(
            select(Assignment.officer_id).where(col(Assignment.end_date).is_(None))
        ).all()
    }
    for row in plan.rows["民警"]:
        if not resolve.need(row, "station", stations, "单位"):
            continue
        record = known.officers.get(row.values["badge_no"])
        station = known.stations.get(row.values["station"])
        fields = {
            "name": row.values["name"],
            "phone": row.values["phone"] or "",
            "station_id": station.id if station else None,
            "_station": row.values["station"],
        }
        moving = record is not None and (station is None or record.station_id != station.id)
        if moving and record is not None and record.id in holding:
            resolve.fail(row, "station", f"{record.name} 名下有项目，不能调整单位，请先改派项目")
            continue
        _diff(row, record, fields)


def _check_enterprises(session: Session, plan: Plan, known: _Known) -> None:
    ids = [e.id for e in known.enterprises.values()]
    primaries = {
        c.enterprise_id: c
        for c in session.exec(
            select(EnterpriseContact).where(
                col(EnterpriseContact.enterprise_id).in_(ids), col(EnterpriseContact.is_primary)
            )
        ).all()
    }
    for row in plan.rows["企业"]:
        record = known.enterprises.get(row.values["uscc"])
        v = row.values
        fields = {
            "name": v["name"],
            "industry": v["industry"] or "",
            "town": v["town"] or "",
            "address": v["address"] or "",
        }
        _diff(row, record, fields)
        contact = primaries.get(record.id or 0) if record else None
        wanted = (v["contact"] or "", v["contact_phone"] or "")
        row.fields["_contact"] = wanted
        row.fields["_contact_record"] = contact
        current = (contact.name, contact.phone) if contact else ("", "")
        if row.action == "unchanged" and current != wanted:
            row.action = "update"


def _check_projects(session: Session, plan: Plan, known: _Known) -> None:
    resolve = _Resolver(plan, "重点项目")
    stations = _codes(plan, "派出所", "code", known.stations)
    enterprises = _codes(plan, "企业", "uscc", known.enterprises)
    officers = _codes(plan, "民警", "badge_no", known.officers)
    officer_station = _officer_stations(plan, known)
    current_badge = _current_badges(session, known)
    for row in plan.rows["重点项目"]:
        ok = resolve.need(row, "station", stations, "单位")
        ok &= resolve.need(row, "enterprise", enterprises, "企业")
        ok &= resolve.need(row, "officer", officers, "民警")
        if not (ok and _officer_serves_station(resolve, row, officer_station)):
            continue
        record = known.projects.get(row.values["code"])
        fields = _project_fields(row.values, known)
        _diff(row, record, fields)
        current = current_badge.get(record.id) if record and record.id else None
        if row.action == "unchanged" and current != fields["_officer"]:
            row.action = "update"


def _officer_stations(plan: Plan, known: _Known) -> dict[str, str]:
    """Each officer's station code by badge: as the file says, else as the database has it."""
    officer_station = {r.values["badge_no"]: r.values["station"] for r in plan.rows["民警"]}
    station_codes = {s.id: code for code, s in known.stations.items()}
    for badge, officer in known.officers.items():
        officer_station.setdefault(badge, station_codes.get(officer.station_id, ""))
    return officer_station


def _current_badges(session: Session, known: _Known) -> dict[int, str | None]:
    """The badge of each known project's current officer, by project id, in two queries."""
    terms = _current_officers(session, [p.id for p in known.projects.values() if p.id])
    badge_of = {o.id: badge for badge, o in known.officers.items()}
    missing_badges = {t.officer_id for t in terms.values()} - set(badge_of)
    for officer in session.exec(select(Officer).where(col(Officer.id).in_(missing_badges))).all():
        badge_of[officer.id or 0] = officer.badge_no
    return {project_id: badge_of.get(t.officer_id) for project_id, t in terms.items()}


def _officer_serves_station(resolve: _Resolver, row: Row, officer_station: dict[str, str]) -> bool:
    """A project's officer must belong to the project's station."""
    v = row.values
    if v["officer"] and officer_station.get(v["officer"]) != v["station"]:
        resolve.fail(row, "officer", f"民警 {v['officer']} 不属于单位 {v['station']}")
        return False
    return True


def _project_fields(v: Values, known: _Known) -> Values:
    enterprise = known.enterprises.get(v["enterprise"])
    station = known.stations.get(v["station"])
    return {
        "name": v["name"],
        "level": v["level"],
        "category": v["category"] or "",
        "stage": v["stage"] or Stage.BUILDING.value,
        "investment_fen": v["investment_fen"],
        "enterprise_id": enterprise.id if enterprise else None,
        "station_id": station.id if station else None,
        "_enterprise": v["enterprise"],
        "_station": v["station"],
        "_officer": v["officer"] or None,
        "_assigned_on": v["assigned_on"],
    }


def _check_hazards(plan: Plan, known: _Known) -> None:
    resolve = _Resolver(plan, "隐患")
    projects = _codes(plan, "重点项目", "code", known.projects)
    officers = _codes(plan, "民警", "badge_no", known.officers)
    for row in plan.rows["隐患"]:
        v = row.values
        ok = resolve.need(row, "project", projects, "项目")
        ok &= resolve.need(row, "finder", officers, "民警")
        if v["found_on"]:
            for key, reason in hazards_service.found_problems(v["found_on"], v["deadline"]):
                resolve.fail(row, key, reason)
                ok = False
        if v["found_on"] and v["closed_on"] and v["closed_on"] < v["found_on"]:
            resolve.fail(row, "closed_on", "销号日期不能早于发现日期")
            ok = False
        closed = v["status"] == HazardStatus.CLOSED.value
        if v["status"] and closed != (v["closed_on"] is not None):
            reason = "状态为已销号时须填销号日期" if closed else "未销号的隐患不能有销号日期"
            resolve.fail(row, "closed_on", reason)
            ok = False
        if not ok:
            continue
        _diff(
            row,
            known.hazards.get(v["code"]),
            {
                "category": v["category"],
                "level": v["level"],
                "description": v["description"],
                "found_on": v["found_on"],
                "deadline": v["deadline"],
                "status": v["status"],
                "closed_on": v["closed_on"],
                "_project": v["project"],
                "_finder": v["finder"],
            },
        )
        _same_reference(row, known, project="project_id", finder="found_by_id")


def _same_reference(row: Row, known: _Known, **columns: str) -> None:
    """An existing record whose project or officer changed in the file is an update too."""
    record = row.record
    if record is None or row.action != "unchanged":
        return
    lookups: dict[str, dict[str, Any]] = {
        "project": known.projects,
        "finder": known.officers,
        "handler": known.officers,
    }
    for key, attribute in columns.items():
        target = lookups[key].get(row.values[key])
        if target is None or getattr(record, attribute) != target.id:
            row.action = "update"


def _check_disputes(plan: Plan, known: _Known) -> None:
    resolve = _Resolver(plan, "纠纷")
    projects = _codes(plan, "重点项目", "code", known.projects)
    officers = _codes(plan, "民警", "badge_no", known.officers)
    for row in plan.rows["纠纷"]:
        v = row.values
        ok = resolve.need(row, "project", projects, "项目")
        ok &= resolve.need(row, "handler", officers, "民警")
        if v["amount_fen"] is not None and v["amount_fen"] < 0:
            resolve.fail(row, "amount_fen", "金额不能为负数")
            ok = False
        if v["received_on"] and v["closed_on"] and v["closed_on"] < v["received_on"]:
            resolve.fail(row, "closed_on", "办结日期不能早于受理日期")
            ok = False
        open_case = v["status"] == DisputeStatus.MEDIATING.value
        if v["status"] and open_case == (v["closed_on"] is not None):
            reason = "调解中的纠纷不能有办结日期" if open_case else "已办结的纠纷须填办结日期"
            resolve.fail(row, "closed_on", reason)
            ok = False
        if not ok:
            continue
        _diff(
            row,
            known.disputes.get(v["code"]),
            {
                "type": v["type"],
                "received_on": v["received_on"],
                "amount_fen": v["amount_fen"],
                "status": v["status"],
                "closed_on": v["closed_on"],
                "facts": v["facts"] or "",
                "_project": v["project"],
                "_handler": v["handler"],
            },
        )
        _same_reference(row, known, project="project_id", handler="handler_id")


def _check_recoveries(session: Session, plan: Plan, known: _Known) -> None:
    resolve = _Resolver(plan, "挽回损失")
    projects = _codes(plan, "重点项目", "code", known.projects)
    officers = _codes(plan, "民警", "badge_no", known.officers)
    hazards = _codes(plan, "隐患", "code", known.hazards)
    disputes = _codes(plan, "纠纷", "code", known.disputes)
    entries = _recovery_entries(session, plan, known, projects)
    booked_disputes: set[str] = set()
    for row in plan.rows["挽回损失"]:
        v = row.values
        ok = resolve.need(row, "project", projects, "项目")
        ok &= resolve.need(row, "officer", officers, "民警")
        record = known.recoveries.get(v["code"])
        ok &= _check_recovery_amount(resolve, row, new=record is None)
        link = v["link"] or ""
        kind = _link_kind(v["amount_fen"], link, disputes, hazards)
        if kind == "reversal":
            ok &= _check_reversal(resolve, row, entries, new=record is None)
        elif kind == "dispute":
            ok &= _check_dispute_booked_once(resolve, row, booked_disputes)
        if not ok:
            continue
        _diff(row, record, _recovery_fields(v, link, kind))
        if record is not None and (
            row.action == "update" or _link_of(record, entries.names) != link
        ):
            resolve.fail(
                row,
                "amount_fen",
                f"登记 {v['code']} 已导入，挽回损失台账只能追加，不能修改；更正请另登一笔冲正",
            )
    _dispute_already_booked(session, plan, known, booked_disputes)


# The recovery service's names for what it finds wrong, as the sheet's column keys.
_RECOVERY_COLUMNS = {
    "amount": "amount_fen",
    "recovered_on": "recovered_on",
    "project": "project",
    "source": "source",
}


@dataclass
class _RecoveryEntries:
    """The recovery entries the file and the database hold, as a reversal must see them."""

    in_database: dict[str, Recovery]  # by code
    in_file: dict[str, Values]  # by code
    amounts: dict[str, int | None]  # by code; the file's amount where it has the entry
    names: dict[str, dict[int | None, str]]  # per link attribute, id → code
    reversed_fen: defaultdict[str, int]  # by code: reversed so far, the file's reversals added
    project_ids: dict[str, int]  # by code; the file's new projects given ids of their own

    def original_of(self, link: str) -> Recovery | None:
        """The entry a reversal names, in the database or (not yet written) in the file."""
        if link in self.in_database:
            return self.in_database[link]
        o = self.in_file.get(link)
        if o is None or o["amount_fen"] is None or o["recovered_on"] is None:
            return None
        return Recovery(
            code=link,
            project_id=self.project_ids.get(o["project"] or "", 0),
            amount_fen=o["amount_fen"],
            recovered_on=o["recovered_on"],
            source=o["source"] or "",
            officer_id=0,
            reverses_id=-1 if o["amount_fen"] < 0 else None,
        )


def _recovery_entries(
    session: Session, plan: Plan, known: _Known, projects: set[str]
) -> _RecoveryEntries:
    """What reversals are checked against, read in one query."""
    rows = plan.rows["挽回损失"]
    amounts: dict[str, int | None] = {code: r.amount_fen for code, r in known.recoveries.items()}
    amounts.update({r.values["code"]: r.values["amount_fen"] for r in rows})
    names = {
        attribute: {r.id: code for code, r in records.items()}
        for attribute, records in (
            ("reverses_id", known.recoveries),
            ("dispute_id", known.disputes),
            ("hazard_id", known.hazards),
        )
    }
    # What the database has already reversed of the entries the file names, in one GROUP BY.
    reversed_fen: defaultdict[str, int] = defaultdict(int)
    for original_id, fen in session.execute(
        sa.select(col(Recovery.reverses_id), -func.sum(Recovery.amount_fen))
        .where(col(Recovery.reverses_id).in_(list(names["reverses_id"])))
        .group_by(col(Recovery.reverses_id))
    ).all():
        reversed_fen[names["reverses_id"][original_id]] = int(fen)
    # Projects by id, the file's new ones given ids of their own, so the service can compare.
    project_ids: dict[str, int] = {code: p.id or 0 for code, p in known.projects.items()}
    for code in sorted(projects - set(project_ids)):
        project_ids[code] = -1 - len(project_ids)
    in_file = {r.values["code"]: r.values for r in rows if r.values.get("code")}
    return _RecoveryEntries(known.recoveries, in_file, amounts, names, reversed_fen, project_ids)


def _check_recovery_amount(resolve: _Resolver, row: Row, *, new: bool) -> bool:
    """No entry is of 0; a new entry (not a reversal) passes the service's own checks."""
    amount, on = row.values["amount_fen"], row.values["recovered_on"]
    if amount == 0:
        resolve.fail(row, "amount_fen", "金额不能为 0")
        return False
    ok = True
    if amount is not None and amount > 0 and new and on:
        for key, reason in recoveries_service.recovery_problems(amount, on):
            resolve.fail(row, _RECOVERY_COLUMNS[key], reason)
            ok = False
    return ok


def _link_kind(amount: int | None, link: str, disputes: set[str], hazards: set[str]) -> str:
    """What an entry's 关联编号 names: the entry it reverses (a negative amount), a dispute, a
    hazard, or else a case number."""
    if amount is not None and amount < 0:
        return "reversal"
    if link in disputes:
        return "dispute"
    if link in hazards:
        return "hazard"
    return "case"


def _check_reversal(resolve: _Resolver, row: Row, entries: _RecoveryEntries, *, new: bool) -> bool:
    """A reversal names an entry that is not itself a reversal; a new one passes the service's
    checks against that entry and counts towards what is reversed of it."""
    v = row.values
    link = v["link"] or ""
    target = entries.amounts.get(link)
    if not link:
        resolve.fail(row, "link", "冲正（负数金额）须在关联编号中填写被冲正的登记编号")
        return False
    if target is None:
        resolve.fail(row, "link", f"没有登记编号为 {link} 的挽回损失")
        return False
    if target < 0:
        resolve.fail(row, "link", f"{link} 本身是冲正，不能再冲正")
        return False
    original = entries.original_of(link) if new else None
    if original is None or not v["recovered_on"]:
        return True
    ok = True
    for key, reason in recoveries_service.reversal_problems(
        original,
        amount_fen=-v["amount_fen"],
        on=v["recovered_on"],
        left_fen=target - entries.reversed_fen[link],
        project_id=entries.project_ids.get(v["project"] or ""),
        source=v["source"] or None,
    ):
        resolve.fail(row, _RECOVERY_COLUMNS[key], reason)
        ok = False
    entries.reversed_fen[link] += -v["amount_fen"]
    return ok


def _check_dispute_booked_once(resolve: _Resolver, row: Row, booked: set[str]) -> bool:
    """A dispute gets one entry: a second row of the file naming it is a problem."""
    link = row.values["link"] or ""
    if link in booked:
        resolve.fail(row, "link", f"纠纷 {link} 已登记过挽回损失")
        return False
    booked.add(link)
    return True


def _recovery_fields(v: Values, link: str, kind: str) -> Values:
    return {
        "amount_fen": v["amount_fen"],
        "recovered_on": v["recovered_on"],
        "source": v["source"],
        "note": v["note"] or "",
        "case_number": link if kind == "case" else "",
        "_project": v["project"],
        "_officer": v["officer"],
        "_link": link,
        "_kind": kind,
    }


def _link_of(entry: Recovery, names: dict[str, dict[int | None, str]]) -> str:
    """The 关联编号 an entry was imported or booked with (`names`: id → code per link)."""
    for attribute, codes in names.items():
        target_id = getattr(entry, attribute)
        if target_id is not None:
            return codes.get(target_id, str(target_id))
    return entry.case_number


def _dispute_already_booked(
    session: Session, plan: Plan, known: _Known, disputes: set[str]
) -> None:
    """A dispute the database already booked an entry for cannot get a second one."""
    ids = {known.disputes[c].id: c for c in disputes if c in known.disputes}
    booked = session.exec(
        select(Recovery.dispute_id, Recovery.code).where(
            col(Recovery.dispute_id).in_(list(ids)), col(Recovery.reverses_id).is_(None)
        )
    ).all()
    taken = {ids[dispute_id]: code for dispute_id, code in booked}
    for row in plan.rows["挽回损失"]:
        link = row.values.get("link")
        if row.action == "add" and link in taken and taken[link] != row.values["code"]:
            _Resolver(plan, "挽回损失").fail(row, "link", f"纠纷 {link} 已登记过挽回损失")


def _check_requests(plan: Plan, known: _Known, levels: dict[RequestType, sla.Level]) -> None:
    resolve = _Resolver(plan, "诉求")
    projects = _codes(plan, "重点项目", "code", known.projects)
    for row in plan.rows["诉求"]:
        v = row.values
        ok = resolve.need(row, "project", projects, "项目")
        record = known.requests.get(v["tracking_no"])
        for key, reason in _request_problems(v, record):
            resolve.fail(row, key, reason)
            ok = False
        if not ok or v["received_at"] is None:
            continue
        _diff(row, record, _request_fields(v, levels[RequestType(v["type"])]))
        if record is not None and row.action == "unchanged":
            project = known.projects.get(v["project"] or "")
            if record.project_id != (project.id if project else None):
                row.action = "update"


def _request_problems(v: Values, record: ServiceRequest | None) -> list[tuple[str, str]]:
    """What is wrong with a request's times, status and rating, as (column key, reason)."""
    problems = []
    received = v["received_at"]
    for key, label in (("first_response_at", "首次响应时间"), ("closed_at", "办结时间")):
        if received and v[key] and v[key] < received:
            problems.append((key, f"{label}不能早于提交时间"))
    closed = v["status"] in CLOSED_STATUSES
    if v["status"] and closed != (v["closed_at"] is not None):
        reason = "已办结、不予受理的诉求须填办结时间" if closed else "未办结的诉求不能有办结时间"
        problems.append(("closed_at", reason))
    if v["satisfaction"] and v["status"] != RequestStatus.CLOSED.value:
        problems.append(("satisfaction", "只有已办结的诉求可以有满意度"))
    current = record.satisfaction if record is not None else None
    for reason in desk.rating_problems(current, v["satisfaction"] or None):
        problems.append(("satisfaction", reason))
    return problems


def _request_fields(v: Values, level: sla.Level) -> Values:
    phone = v["phone"] or ""
    return {
        "type": v["type"],
        "topic": v["topic"] or Topic.OTHER.value,
        "received_at": v["received_at"],
        "channel": v["channel"] or Channel.COUNTER.value,
        "content": v["content"],
        "submitter_name": v["name"] or "",
        "submitter_phone": phone,
        "phone_last4": phone[-4:],
        "first_response_at": v["first_response_at"],
        "closed_at": v["closed_at"],
        "status": v["status"],
        "satisfaction": v["satisfaction"] or None,
        "respond_by": sla.respond_deadline(level, v["received_at"]),
        "_close_level": level,
        "_project": v["project"] or None,
    }


# ---- writing ---------------------------------------------------------------------------


Progress = Callable[[int], None]
ANALYZE_AFTER = 1000  # rows added
ANALYZED = [
    "station",
    "officer",
    "enterprise",
    "project",
    "assignment",
    "hazard",
    "dispute",
    "recovery",
    "service_request",
]


def apply(
    session: Session, plan: Plan, *, by_user_id: int | None, progress: Progress | None = None
) -> dict[str, Counts]:
    """Write a clean plan, a sheet at a time (one flush each: the inserts go in batches); the
    caller commits, or rolls back on any error."""
    assert plan.ok and plan.known is not None, "only a checked plan without problems is written"
    step = progress or (lambda n: None)
    writer = _Writer(session, by_user_id, plan.known)
    for sheet in schema.SHEETS:
        rows = plan.rows[sheet.name]
        changed = [row for row in rows if row.action != "unchanged"]
        if changed:
            getattr(writer, _WRITERS[sheet.name])(changed)
            session.flush()
        step(len(rows))
    counts = plan.counts()
    if sum(c.added for c in counts.values()) >= ANALYZE_AFTER:
        # Fresh planner statistics: a database that just grew tenfold would otherwise be
        # planned as the small one it was (nested loops where a hash join belongs).
        for table in ANALYZED:
            session.execute(sa.text(f"ANALYZE {table}"))
    return counts


class _Writer:
    """Creates and updates records sheet by sheet, keeping every code it has written at hand."""

    def __init__(self, session: Session, by_user_id: int | None, known: "_Known") -> None:
        self.session, self.by = session, by_user_id
        self.cache: dict[tuple[type, str], Any] = {}
        for model, records in (
            (Station, known.stations),
            (Officer, known.officers),
            (Enterprise, known.enterprises),
            (Project, known.projects),
            (Hazard, known.hazards),
            (Dispute, known.disputes),
            (Recovery, known.recoveries),
        ):
            for code, record in records.items():
                self.cache[(model, code)] = record

    def find(self, model: type, attribute: str, code: str) -> Any:
        key = (model, code)
        if key not in self.cache:
            column = getattr(model, attribute)
            self.cache[key] = self.session.exec(select(model).where(column == code)).first()
        return self.cache[key]

    def keep(self, record: Any, code: str) -> Any:
        self.cache[(type(record), code)] = record
        return record

    def _save(
        self, row: Row, model: type, key: str, created: Values | None = None, **resolved: Any
    ) -> Any:
        """The row's record, new (with `created`) or existing, holding the row's fields and the
        references resolved to ids; kept by its code."""
        record = row.record or model(**{key: row.values[key]}, **(created or {}))
        for name, value in {**row.fields, **resolved}.items():
            if not name.startswith("_"):
                setattr(record, name, value)
        self.session.add(record)
        return self.keep(record, row.values[key])

    def stations(self, rows: list[Row]) -> None:
        for row in rows:
            self._save(row, Station, "code")

    def officers(self, rows: list[Row]) -> None:
        for row in rows:
            station = self.find(Station, "code", row.fields["_station"])
            self._save(row, Officer, "badge_no", station_id=station.id)

    def enterprises(self, rows: list[Row]) -> None:
        for row in rows:
            self._save(row, Enterprise, "uscc")
        self.session.flush()
        for row in rows:
            name, phone = row.fields["_contact"]
            contact = row.fields["_contact_record"]
            if contact is None and (name or phone):
                enterprise = self.cache[(Enterprise, row.values["uscc"])]
                contact = EnterpriseContact(enterprise_id=enterprise.id, name="", is_primary=True)
            if contact is not None:
                contact.name, contact.phone = name, phone
                self.session.add(contact)

    def projects(self, rows: list[Row]) -> None:
        for row in rows:
            self._save(
                row,
                Project,
                "code",
                enterprise_id=self.find(Enterprise, "uscc", row.fields["_enterprise"]).id,
                station_id=self.find(Station, "code", row.fields["_station"]).id,
            )
        self.session.flush()
        existing = [row.record.id for row in rows if row.record is not None]
        current = _current_officers(self.session, existing)
        for row in rows:
            project = self.cache[(Project, row.values["code"])]
            self._assign(project, current.get(project.id), row.fields["_officer"], row.fields)

    def _assign(
        self, project: Project, current: Assignment | None, badge: str | None, fields: Values
    ) -> None:
        """The file's officer becomes the current one; the history keeps who came before."""
        officer = self.find(Officer, "badge_no", badge) if badge else None
        if current is not None and officer is not None and current.officer_id == officer.id:
            return
        start = fields["_assigned_on"] or today()
        if current is not None:
            current.end_date = max(start, current.start_date)
            current.end_reason, current.ended_by_id = "台账导入", self.by
            self.session.add(current)
            self.session.flush()  # the one-current-officer index must see the old term end
        if officer is not None:
            self.session.add(
                Assignment(
                    project_id=project.id or 0,
                    officer_id=officer.id,
                    start_date=start,
                    reason="台账导入",
                    assigned_by_id=self.by,
                )
            )

    def _save_on_project(self, rows: list[Row], model: type, officer_id: str, badge: str) -> None:
        """Records of a project that name an officer: `officer_id` is set from the badge in the
        row's field `badge`."""
        for row in rows:
            self._save(
                row,
                model,
                "code",
                {"created_by_id": self.by},
                project_id=self.find(Project, "code", row.fields["_project"]).id,
                **{officer_id: self.find(Officer, "badge_no", row.fields[badge]).id},
            )

    def hazards(self, rows: list[Row]) -> None:
        self._save_on_project(rows, Hazard, officer_id="found_by_id", badge="_finder")
        self.session.flush()
        for row in rows:
            hazard = self.cache[(Hazard, row.values["code"])]
            self.session.add(
                HazardEvent(
                    hazard_id=hazard.id,
                    action="import",
                    to_status=hazard.status,
                    comment="台账导入" if row.record is None else "台账导入更新",
                    by_user_id=self.by,
                )
            )

    def disputes(self, rows: list[Row]) -> None:
        self._save_on_project(rows, Dispute, officer_id="handler_id", badge="_handler")

    def recoveries(self, rows: list[Row]) -> None:
        """Entries first, then the reversals that name them (they need their ids)."""
        entries = [r for r in rows if r.fields["_kind"] != "reversal"]
        reversals = [r for r in rows if r.fields["_kind"] == "reversal"]
        for batch in (entries, reversals):
            for row in batch:
                self._recovery(row)
            self.session.flush()

    def _recovery(self, row: Row) -> None:
        fields = row.fields
        link, kind = fields["_link"], fields["_kind"]
        record = Recovery(
            code=row.values["code"],
            project_id=self.find(Project, "code", fields["_project"]).id,
            amount_fen=fields["amount_fen"],
            recovered_on=fields["recovered_on"],
            source=fields["source"],
            officer_id=self.find(Officer, "badge_no", fields["_officer"]).id,
            note=fields["note"],
            case_number=fields["case_number"],
            reverses_id=self.find(Recovery, "code", link).id if kind == "reversal" else None,
            dispute_id=self.find(Dispute, "code", link).id if kind == "dispute" else None,
            hazard_id=self.find(Hazard, "code", link).id if kind == "hazard" else None,
            created_by_id=self.by,
        )
        self.session.add(record)
        self.keep(record, row.values["code"])

    def requests(self, rows: list[Row]) -> None:
        """Routed as the desk routes: to the project's current officer."""
        project_ids = {
            self.find(Project, "code", row.fields["_project"]).id
            for row in rows
            if row.fields["_project"]
        }
        officers = {
            p: term.officer_id for p, term in _current_officers(self.session, project_ids).items()
        }
        for row in rows:
            fields = row.fields
            project = self.find(Project, "code", fields["_project"]) if fields["_project"] else None
            moved = row.record is None or row.record.project_id != (project.id if project else None)
            record = self._save(row, ServiceRequest, "tracking_no", {"created_by_id": self.by})
            if moved:
                record.project_id = project.id if project else None
                record.station_id = project.station_id if project else None
                record.officer_id = officers.get(project.id) if project else None
            level = fields["_close_level"]
            record.close_by = sla.close_deadline(self.session, level, fields["received_at"])


_WRITERS = {
    "派出所": "stations",
    "民警": "officers",
    "企业": "enterprises",
    "重点项目": "projects",
    "隐患": "hazards",
    "纠纷": "disputes",
    "挽回损失": "recoveries",
    "诉求": "requests",
}
