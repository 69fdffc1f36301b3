"""The ledger's 挽回损失 sheet: its columns, its rows for the export, the check of a file's rows
and the save through liaison.recoveries.service. The ledger only grows: a row that would change
an entry already imported is refused, and a correction is a reversal (a negative amount naming
the entry in 关联编号), checked by the service's own rules against what is left of it."""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from liaison import sheets
from liaison.fields import label, max_length
from liaison.hazards.models import Hazard
from liaison.projects.sheet import on_project
from liaison.recoveries import service
from liaison.recoveries.models import Recovery
from liaison.recoveries.schemas import RecoveryIn
from liaison.sheets import Checking, Column, Row, Rows, Sheet, Values, Writing

SHEET, PROJECTS, OFFICERS, HAZARDS, DISPUTES = "挽回损失", "重点项目", "民警", "隐患", "纠纷"

# A dispute's code, read by its table's name as Recovery.dispute_id's foreign key names it: the
# disputes domain sits above this one (resolving a case books its recovery), so no model import.
_DISPUTE = sa.table("dispute", sa.column("id"), sa.column("code"))


def recovery_rows(session: Session, ids: Any = None) -> Rows:
    reversed_entry = aliased(Recovery)
    query = (
        on_project(Recovery, Recovery.officer_id)
        .add_columns(col(reversed_entry.code), _DISPUTE.c.code, col(Hazard.code))
        .outerjoin(reversed_entry, col(reversed_entry.id) == Recovery.reverses_id)
        .outerjoin(_DISPUTE, _DISPUTE.c.id == Recovery.dispute_id)
        .outerjoin(Hazard, col(Hazard.id) == Recovery.hazard_id)
        .order_by(None)
        .order_by(col(Recovery.reverses_id).is_not(None), col(Recovery.code))
    )
    for r, project, badge, reverses, dispute, hazard in sheets.stream(
        session, query, ids, Recovery.id
    ):
        yield [
            r.code,
            project,
            sheets.fen_text(r.amount_fen),
            sheets.day_text(r.recovered_on),
            r.source,
            reverses or dispute or hazard or r.case_number,
            badge,
            r.note,
        ]


# The service's names for what it finds wrong, as the sheet's column keys.
_COLUMNS = {
    "amount": "amount_fen",
    "recovered_on": "recovered_on",
    "project": "project",
    "source": "source",
}


def check_recoveries(c: Checking) -> None:
    entries = _entries(c)
    booked_disputes: set[str] = set()
    disputes, hazards = c.codes(DISPUTES), c.codes(HAZARDS)
    for row in c.rows[SHEET]:
        v = row.values
        ok = c.need(RECOVERIES, row, "project")
        ok &= c.need(RECOVERIES, row, "officer")
        record = c.found(RECOVERIES, row)
        ok &= _check_amount(c, row, new=record is None)
        link = v["link"] or ""
        kind = _link_kind(v["amount_fen"], link, disputes, hazards)
        if kind == "reversal":
            ok &= _check_reversal(c, row, entries, new=record is None)
        elif kind == "dispute":
            ok &= _booked_once(c, row, booked_disputes)
        if not ok:
            continue
        fields = _fields(v, link, kind)
        if record is not None and kind == "reversal":
            # The reversal's link is its original (checked below); an entry imported before
            # kept no copy of the original's code, one the service booked does.
            fields = {k: value for k, value in fields.items() if k != "case_number"}
        sheets.diff(row, record, fields)
        if record is not None and (
            row.action == "update" or _link_of(record, entries.names) != link
        ):
            c.fail(
                RECOVERIES,
                row,
                "amount_fen",
                f"登记 {v['code']} 已导入，挽回损失台账只能追加，不能修改；更正请另登一笔冲正",
            )
    _dispute_already_booked(c, booked_disputes)


@dataclass
class _Entries:
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


def _entries(c: Checking) -> _Entries:
    """What reversals are checked against, read in one query."""
    rows, known = c.rows[SHEET], c.known
    amounts: dict[str, int | None] = {number: r.amount_fen for number, r in known[SHEET].items()}
    amounts.update({r.values["code"]: r.values["amount_fen"] for r in rows})
    names = {
        attribute: {r.id: number for number, r in known[sheet].items()}
        for attribute, sheet in (
            ("reverses_id", SHEET),
            ("dispute_id", DISPUTES),
            ("hazard_id", HAZARDS),
        )
    }
    # What the database has already reversed of the entries the file names, in one GROUP BY.
    reversed_fen: defaultdict[str, int] = defaultdict(int)
    for original_id, fen in c.session.execute(
        sa.select(col(Recovery.reverses_id), -func.sum(Recovery.amount_fen))
        .where(col(Recovery.reverses_id).in_(list(names["reverses_id"])))
        .group_by(col(Recovery.reverses_id))
    ).all():
        reversed_fen[names["reverses_id"][original_id]] = int(fen)
    # Projects by id, the file's new ones given ids of their own, so the service can compare.
    project_ids: dict[str, int] = {number: p.id or 0 for number, p in known[PROJECTS].items()}
    for code_ in sorted(c.codes(PROJECTS) - set(project_ids)):
        project_ids[code_] = -1 - len(project_ids)
    in_file = {r.values["code"]: r.values for r in rows if r.values.get("code")}
    return _Entries(known[SHEET], in_file, amounts, names, reversed_fen, project_ids)


def _check_amount(c: Checking, row: Row, *, new: bool) -> bool:
    """No entry is of 0; a new entry (not a reversal) passes the service's own checks."""
    amount, on = row.values["amount_fen"], row.values["recovered_on"]
    if amount == 0:
        c.fail(RECOVERIES, row, "amount_fen", "金额不能为 0")
        return False
    ok = True
    if amount is not None and amount > 0 and new and on:
        for key, reason in service.recovery_problems(amount, on):
            c.fail(RECOVERIES, row, _COLUMNS[key], reason)
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


def _check_reversal(c: Checking, row: Row, entries: _Entries, *, new: bool) -> bool:
    """A reversal names an entry that is not itself a reversal; a new one passes the service's
    checks against that entry and counts towards what is reversed of it."""
    v = row.values
    link = v["link"] or ""
    target = entries.amounts.get(link)
    reason = ""
    if not link:
        reason = "冲正（负数金额）须在关联编号中填写被冲正的登记编号"
    elif target is None:
        reason = f"没有登记编号为 {link} 的挽回损失"
    elif target < 0:
        reason = f"{link} 本身是冲正，不能再冲正"
    if reason or target is None:
        c.fail(RECOVERIES, row, "link", reason)
        return False
    original = entries.original_of(link) if new else None
    if original is None or not v["recovered_on"]:
        return True
    ok = True
    for key, problem in service.reversal_problems(
        original,
        amount_fen=-v["amount_fen"],
        on=v["recovered_on"],
        left_fen=target - entries.reversed_fen[link],
        project_id=entries.project_ids.get(v["project"] or ""),
        source=v["source"] or None,
    ):
        c.fail(RECOVERIES, row, _COLUMNS[key], problem)
        ok = False
    entries.reversed_fen[link] += -v["amount_fen"]
    return ok


def _booked_once(c: Checking, row: Row, booked: set[str]) -> bool:
    """A dispute gets one entry: a second row of the file naming it is a problem."""
    link = row.values["link"] or ""
    if link in booked:
        c.fail(RECOVERIES, row, "link", f"纠纷 {link} 已登记过挽回损失")
        return False
    booked.add(link)
    return True


def _fields(v: Values, link: str, kind: str) -> Values:
    return {
        "amount_fen": v["amount_fen"],
        "recovered_on": v["recovered_on"],
        "source": v["source"],
        "note": v["note"] or "",
        # As the service books a reversal: the original's code is its case number too.
        "case_number": link if kind in ("case", "reversal") else "",
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


def _dispute_already_booked(c: Checking, disputes: set[str]) -> None:
    """A dispute the database already booked an entry for cannot get a second one."""
    known = c.known[DISPUTES]
    ids = {known[code_].id: code_ for code_ in disputes if code_ in known}
    booked = c.session.exec(
        select(Recovery.dispute_id, Recovery.code).where(
            col(Recovery.dispute_id).in_(list(ids)), col(Recovery.reverses_id).is_(None)
        )
    ).all()
    taken = {ids[dispute_id]: code_ for dispute_id, code_ in booked}
    for row in c.rows[SHEET]:
        link = row.values.get("link")
        if row.action == "add" and link in taken and taken[link] != row.values["code"]:
            c.fail(RECOVERIES, row, "link", f"纠纷 {link} 已登记过挽回损失")


# What an entry's 关联编号 resolves to, by the kind `_link_kind` found it is.
_LINKS = (
    ("reverses_id", SHEET, "reversal"),
    ("dispute_id", DISPUTES, "dispute"),
    ("hazard_id", HAZARDS, "hazard"),
)


def save_recoveries(w: Writing, rows: list[Row]) -> None:
    """Entries first, then the reversals that name them (they need their ids)."""
    for reversals in (False, True):
        batch = [r for r in rows if (r.fields["_kind"] == "reversal") == reversals]
        changes = sheets.project_changes(w, RECOVERIES, batch)
        for (_, fields), row in zip(changes, batch, strict=True):
            link, kind = row.fields["_link"], row.fields["_kind"]
            for attribute, sheet, named in _LINKS:
                fields[attribute] = w.find(sheet, link).id if kind == named else None
        w.keep(RECOVERIES, batch, service.import_entries(w.session, changes, by_user_id=w.by))
        w.session.flush()


COLUMNS = [
    Column("登记编号", "code", sheets.code(), True, "唯一；已导入的登记不能修改，更正请另登冲正"),
    Column("项目编号", "project", sheets.code(), True, sheets.PROJECT_HELP, refers=(PROJECTS,)),
    sheets.column(RecoveryIn, "amount_fen", sheets.yuan, help="元，最多两位小数；负数为冲正"),
    sheets.column(RecoveryIn, "recovered_on", help=sheets.DATE_HELP),
    sheets.column(RecoveryIn, "source"),
    # The case number's column, which may name instead the entry reversed, a dispute or a hazard.
    Column(
        label(RecoveryIn, "case_number"),
        "link",
        sheets.code(max_length(RecoveryIn, "case_number") or 64),
        help="冲正时填被冲正的登记编号；否则可填纠纷、隐患编号或案件号",
        refers=(SHEET, DISPUTES, HAZARDS),
    ),
    Column("承办人警号", "officer", sheets.code(), True, sheets.BADGE_HELP, refers=(OFFICERS,)),
    sheets.column(RecoveryIn, "note"),
]
RECOVERIES = Sheet(
    SHEET,
    "挽回损失",
    COLUMNS,
    "code",
    Recovery,
    recovery_rows,
    check_recoveries,
    save_recoveries,
)
