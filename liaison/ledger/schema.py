"""The ledger workbook's contract (PRODUCT.md, Contracts 1): its eight sheets, their columns in
order, and how each cell is read, whatever Excel made of it (a number cell for a badge number, a
date cell or text for a date, full-width digits, stray spaces)."""

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from liaison.clock import LOCAL_TZ
from liaison.desk.models import Channel, RequestStatus, RequestType, Satisfaction, Topic
from liaison.disputes.models import DisputeStatus, DisputeType
from liaison.enterprises.uscc import uscc_error
from liaison.hazards.models import HazardCategory, HazardLevel, HazardStatus
from liaison.money import FEN_PER_WAN, FEN_PER_YUAN, parse_amount
from liaison.projects.models import Level, Stage
from liaison.recoveries.models import RecoverySource


class CellError(ValueError):
    """Why a cell cannot be read, in Chinese."""


Parse = Callable[[Any], Any]


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    parse: Parse
    required: bool = False
    help: str = ""  # the comment on the template's header cell
    choices: tuple[str, ...] = ()  # the template's drop-down list

    @property
    def title(self) -> str:
        """The header as written in the workbook: `*` marks a required column."""
        return f"{self.header}*" if self.required else self.header


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: Sequence[Column]
    key: str = field(default="")  # the column whose value identifies a row's record

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


# ---- reading cells ---------------------------------------------------------------------


def as_text(value: Any) -> str:
    """A cell as text: numbers without a trailing `.0`, dates as YYYY-MM-DD, spaces trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() != time() else f"{value:%Y-%m-%d}"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    return str(value).strip()


def _narrow(text: str) -> str:
    """Full-width digits, letters and signs as ASCII (what IMEs type in a code or a number)."""
    return unicodedata.normalize("NFKC", text).strip()


def text(max_length: int) -> Parse:
    def parse(value: Any) -> str:
        result = as_text(value)
        if len(result) > max_length:
            raise CellError(f"最多 {max_length} 个字符")
        return result

    return parse


def code(max_length: int = 32) -> Parse:
    """A code read as text: a badge number typed as a number stays `612601`."""

    def parse(value: Any) -> str:
        result = _narrow(as_text(value))
        if len(result) > max_length:
            raise CellError(f"最多 {max_length} 个字符")
        if re.search(r"\s", result):
            raise CellError("编号中不能有空格")
        return result

    return parse


def uscc(value: Any) -> str:
    result = _narrow(as_text(value)).upper()
    problem = uscc_error(result)
    if problem:
        raise CellError(problem)
    return result


def phone(value: Any) -> str:
    result = re.sub(r"[\s-]", "", _narrow(as_text(value)))
    if result and not re.fullmatch(r"\+?\d{5,20}", result):
        raise CellError(f"{as_text(value)} 不是电话号码")
    return result


def mobile(value: Any) -> str:
    result = re.sub(r"[\s-]", "", _narrow(as_text(value)))
    if result and not re.fullmatch(r"1[3-9]\d{9}", result):
        raise CellError(f"{as_text(value)} 不是 11 位手机号")
    return result


EXCEL_EPOCH = date(1899, 12, 30)


def day(value: Any) -> date | None:
    """A date cell, an Excel serial number, or text (2025-03-01, 2025/3/1, 2025年3月1日)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and 1 <= value < 2_958_466:
        return EXCEL_EPOCH + timedelta(days=int(value))
    raw = _narrow(as_text(value))
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", raw)
    try:
        if match is None:
            raise ValueError
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise CellError(f"{as_text(value)} 不是有效日期（应为 YYYY-MM-DD）") from None


def moment(value: Any) -> datetime | None:
    """A time in Asia/Shanghai: a date-time cell or `YYYY-MM-DD HH:MM` (seconds allowed)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=LOCAL_TZ) if value.tzinfo is None else value
    raw = _narrow(as_text(value))
    match = re.fullmatch(r"(.+?)[ T](\d{1,2}):(\d{2})(?::(\d{2}))?", raw)
    try:
        if match is None:
            raise ValueError
        on = day(match[1])
        assert on is not None
        at = time(int(match[2]), int(match[3]), int(match[4] or 0))
        return datetime.combine(on, at, LOCAL_TZ)
    except (ValueError, CellError):
        raise CellError(f"{as_text(value)} 不是有效时间（应为 YYYY-MM-DD HH:MM）") from None


def one_of(kind: type[StrEnum]) -> Parse:
    words = [member.value for member in kind]

    def parse(value: Any) -> str:
        result = as_text(value)
        if result and result not in words:
            raise CellError(f"{result} 不是可选值（{'/'.join(words)}）")
        return result

    return parse


def _amount(value: Any, unit: int, label: str) -> int | None:
    if value is None or value == "":
        return None
    # A number cell holds a binary float: its shortest decimal form is what the person typed.
    raw = repr(value) if isinstance(value, float) else as_text(value)
    try:
        return parse_amount(raw, unit=unit)
    except ValueError as exc:
        raise CellError(f"{as_text(value)} 不是有效{label}：{exc}") from None


def yuan(value: Any) -> int | None:
    """Exact fen from yuan with at most two decimals; a negative is allowed (reversals)."""
    return _amount(value, FEN_PER_YUAN, "金额")


def wan(value: Any) -> int | None:
    fen = _amount(value, FEN_PER_WAN, "万元金额")
    if fen is not None and fen < 0:
        raise CellError("金额不能为负数")
    return fen


def fen_text(fen: int | None, unit: int = FEN_PER_YUAN) -> str:
    """The exact figure for the workbook: 1234.5 yuan as `1234.50`, 万元 without trailing zeros."""
    if fen is None:
        return ""
    if unit == FEN_PER_YUAN:
        sign = "-" if fen < 0 else ""
        whole, cents = divmod(abs(fen), 100)
        return f"{sign}{whole}.{cents:02d}"
    return format((Decimal(fen) / unit).normalize(), "f")


def _choices(kind: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in kind)


def _enum(header: str, key: str, kind: type[StrEnum], required: bool = False) -> Column:
    return Column(
        header,
        key,
        one_of(kind),
        required,
        help=f"可选：{'、'.join(_choices(kind))}",
        choices=_choices(kind),
    )


DATE_HELP = "日期，格式 YYYY-MM-DD，也可以是 Excel 日期单元格"
TIME_HELP = "时间，格式 YYYY-MM-DD HH:MM（北京时间）"
BADGE_HELP = "警号，须在「民警」表或系统中已有"
PROJECT_HELP = "项目编号，须在「重点项目」表或系统中已有"

STATIONS = Sheet(
    "派出所",
    [
        Column("单位编码", "code", code(), True, "唯一编码，如 S01"),
        Column("单位名称", "name", text(64), True),
    ],
    key="code",
)
OFFICERS = Sheet(
    "民警",
    [
        Column("警号", "badge_no", code(), True, "唯一，按文本填写"),
        Column("姓名", "name", text(32), True),
        Column("单位编码", "station", code(), True, "须在「派出所」表或系统中已有"),
        Column("手机号", "phone", mobile, help="11 位手机号，可不填"),
    ],
    key="badge_no",
)
ENTERPRISES = Sheet(
    "企业",
    [
        Column("统一社会信用代码", "uscc", uscc, True, "18 位，按 GB 32100 校验"),
        Column("企业名称", "name", text(128), True),
        Column("行业", "industry", text(64), True),
        Column("乡镇街道", "town", text(64)),
        Column("地址", "address", text(255)),
        Column("联系人", "contact", text(32)),
        Column("联系电话", "contact_phone", phone),
    ],
    key="uscc",
)
PROJECTS = Sheet(
    "重点项目",
    [
        Column("项目编号", "code", code(), True, "唯一"),
        Column("项目名称", "name", text(128), True),
        Column("统一社会信用代码", "enterprise", uscc, True, "须在「企业」表或系统中已有"),
        _enum("项目级别", "level", Level, True),
        Column("项目类别", "category", text(32)),
        _enum("建设阶段", "stage", Stage),
        Column("总投资(万元)", "investment_fen", wan, help="万元，最多 6 位小数"),
        Column("单位编码", "station", code(), True, "须在「派出所」表或系统中已有"),
        Column("项目警官警号", "officer", code(), help="空表示暂无项目警官（未覆盖）"),
        Column("任命日期", "assigned_on", day, help=DATE_HELP),
    ],
    key="code",
)
HAZARDS = Sheet(
    "隐患",
    [
        Column("隐患编号", "code", code(), True, "唯一"),
        Column("项目编号", "project", code(), True, PROJECT_HELP),
        _enum("类别", "category", HazardCategory, True),
        _enum("等级", "level", HazardLevel, True),
        Column("描述", "description", text(2000), True),
        Column("发现日期", "found_on", day, True, DATE_HELP),
        Column("发现人警号", "finder", code(), True, BADGE_HELP),
        Column("整改期限", "deadline", day, True, DATE_HELP),
        _enum("状态", "status", HazardStatus, True),
        Column("销号日期", "closed_on", day, help="状态为已销号时必填"),
    ],
    key="code",
)
DISPUTES = Sheet(
    "纠纷",
    [
        Column("纠纷编号", "code", code(), True, "唯一"),
        Column("项目编号", "project", code(), True, PROJECT_HELP),
        _enum("类型", "type", DisputeType, True),
        Column("受理日期", "received_on", day, True, DATE_HELP),
        Column("涉及金额(元)", "amount_fen", yuan, help="元，最多两位小数"),
        _enum("状态", "status", DisputeStatus, True),
        Column("办结日期", "closed_on", day, help="调解中以外的状态必填"),
        Column("承办人警号", "handler", code(), True, BADGE_HELP),
        Column("概要", "facts", text(4000)),
    ],
    key="code",
)
RECOVERIES = Sheet(
    "挽回损失",
    [
        Column("登记编号", "code", code(), True, "唯一；已导入的登记不能修改，更正请另登冲正"),
        Column("项目编号", "project", code(), True, PROJECT_HELP),
        Column("金额(元)", "amount_fen", yuan, True, "元，最多两位小数；负数为冲正"),
        Column("挽回日期", "recovered_on", day, True, DATE_HELP),
        _enum("来源", "source", RecoverySource, True),
        Column(
            "关联编号",
            "link",
            code(64),
            help="冲正时填被冲正的登记编号；否则可填纠纷、隐患编号或案件号",
        ),
        Column("承办人警号", "officer", code(), True, BADGE_HELP),
        Column("说明", "note", text(1000)),
    ],
    key="code",
)
REQUESTS = Sheet(
    "诉求",
    [
        Column("受理编号", "tracking_no", code(), True, "唯一"),
        _enum("类型", "type", RequestType, True),
        _enum("事项类别", "topic", Topic),
        Column("提交时间", "received_at", moment, True, TIME_HELP),
        _enum("渠道", "channel", Channel),
        Column("项目编号", "project", code(), help="可不填；填写时须在「重点项目」表或系统中已有"),
        Column("内容", "content", text(4000), True),
        Column("姓名", "name", text(64)),
        Column("联系电话", "phone", phone),
        Column("首次响应时间", "first_response_at", moment, help=TIME_HELP),
        Column("办结时间", "closed_at", moment, help="状态为已办结、不予受理时必填"),
        _enum("状态", "status", RequestStatus, True),
        _enum("满意度", "satisfaction", Satisfaction),
    ],
    key="tracking_no",
)

SHEETS = [STATIONS, OFFICERS, ENTERPRISES, PROJECTS, HAZARDS, DISPUTES, RECOVERIES, REQUESTS]
BY_NAME = {sheet.name: sheet for sheet in SHEETS}
