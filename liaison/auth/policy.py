"""Permissions as named actions in one table: who (roles) may do what, and on which records
(an object rule). Routes check the roles with `require_action`; routes, templates and services
check both with `can`. `/admin/policy` prints the table for admins and auditors, as the
graded-protection assessment asks.

An object rule reads plain facts about the record (`OnProject`, `OnReview`), built by the record's
own domain, so this module depends on no domain."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from liaison.auth.deps import Principal, require
from liaison.auth.roles import ADMIN_ROLES, PII_REVEAL_ROLES, STAFF_ROLES, Role


class Action(StrEnum):
    PROJECT_EDIT = "project.edit"
    VISIT_LOG = "visit.log"
    HAZARD_REPORT = "hazard.report"
    HAZARD_HANDLE = "hazard.handle"
    HAZARD_SIGN_OFF = "hazard.sign_off"
    DISPUTE_HANDLE = "dispute.handle"
    RECOVERY_BOOK = "recovery.book"
    RECOVERY_REVERSE = "recovery.reverse"
    REQUEST_HANDLE = "request.handle"
    PII_REVEAL = "pii.reveal"
    ACCOUNT_MANAGE = "account.manage"
    CONTACT_ACCOUNT_OPEN = "contact_account.open"
    LEDGER_KEEP = "ledger.keep"
    LEDGER_EXPORT = "ledger.export"
    NOTIFICATIONS_READ = "notifications.read"
    DELIVERY_MANAGE = "delivery.manage"
    OFFICER_AWAY = "absence.mark"


@dataclass(frozen=True)
class OnProject:
    """A write on a project's records (or a request routed to a unit and an officer): the
    station, and the officer in charge (None when there is none)."""

    station_id: int | None
    officer_id: int | None


@dataclass(frozen=True)
class OnOfficer:
    """A write on an officer's own record (their absences): their station, and themselves."""

    station_id: int
    officer_id: int


@dataclass(frozen=True)
class OnReview:
    """A hazard under review: who found it (an officer) and who sent it for review (a login)."""

    found_by_officer_id: int
    rectified_by_user_id: int | None


@dataclass(frozen=True)
class OnAccount:
    """A login being created or changed: its role (the new one, when it changes)."""

    role: str


def _anything(principal: Principal, obj: Any) -> bool:
    return True


def _unit_or_own(principal: Principal, obj: Any) -> bool:
    """Leaders and admins anywhere; a chief on the station's records; an officer on his own."""
    if obj is None:
        return True
    role = principal.role
    if role in (Role.LEADER, Role.ADMIN):
        return True
    if role == Role.CHIEF:
        return obj.station_id is not None and obj.station_id == principal.scope.station_id
    if role == Role.OFFICER:
        officer_id = principal.user.officer_id
        return officer_id is not None and obj.officer_id == officer_id
    return False


def _unit_or_own_as_officer(principal: Principal, obj: Any) -> bool:
    """As above, and the login must be linked to an officer record (who books it)."""
    return principal.user.officer_id is not None and _unit_or_own(principal, obj)


def independent_reviewer(role: Role, officer_id: int | None, user_id: int | None, obj: Any) -> bool:
    """Nobody signs off a hazard they found or rectified, chiefs included; an officer's login
    must name him. Services call this with what they hold; `can` with the principal."""
    if obj is None:
        return True
    if role == Role.OFFICER and officer_id is None:
        return False
    rectifier = obj.rectified_by_user_id
    return officer_id != obj.found_by_officer_id and (rectifier is None or user_id != rectifier)


def _independent(principal: Principal, obj: Any) -> bool:
    return independent_reviewer(principal.role, principal.user.officer_id, principal.user.id, obj)


def _not_an_administrator(principal: Principal, obj: Any) -> bool:
    """Accounts of the three administrators, the security administrator's own included, are
    beyond the web: nobody resets or takes over another (or himself) from a browser."""
    return obj is None or obj.role not in ADMIN_ROLES


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    check: Callable[[Principal, Any], bool]
    description: str
    rule_description: str


STAFF = frozenset(STAFF_ROLES)
UNIT_OR_OWN = "分局领导不限；所长限本所；民警限本人当前承办"

POLICY: dict[Action, Rule] = {
    Action.PROJECT_EDIT: Rule(
        frozenset({Role.ADMIN, Role.LEADER, Role.CHIEF, Role.OFFICER}),
        _unit_or_own,
        "编辑项目档案",
        "管理员、" + UNIT_OR_OWN + "的项目",
    ),
    Action.VISIT_LOG: Rule(
        frozenset({Role.CHIEF, Role.OFFICER}),
        _unit_or_own_as_officer,
        "登记走访",
        "所长限本所；民警限本人当前承办的项目；须绑定民警",
    ),
    Action.HAZARD_REPORT: Rule(
        frozenset({Role.CHIEF, Role.OFFICER}), _anything, "登记隐患", "本所可见的任一项目"
    ),
    Action.HAZARD_HANDLE: Rule(
        STAFF, _unit_or_own, "处理隐患（开始整改、提交复查）", UNIT_OR_OWN + "的项目"
    ),
    Action.HAZARD_SIGN_OFF: Rule(
        STAFF, _independent, "隐患复查（销号或退回）", "发现人、整改提交人不得复查（所长亦然）"
    ),
    Action.DISPUTE_HANDLE: Rule(
        STAFF,
        _unit_or_own,
        "处理纠纷（调解、协议、履行、回访、调解失败）",
        UNIT_OR_OWN + "的项目",
    ),
    Action.RECOVERY_BOOK: Rule(
        STAFF, _unit_or_own_as_officer, "登记挽回损失", UNIT_OR_OWN + "的项目；须绑定民警"
    ),
    Action.RECOVERY_REVERSE: Rule(
        STAFF, _unit_or_own_as_officer, "冲正挽回损失", UNIT_OR_OWN + "的项目；须绑定民警"
    ),
    Action.REQUEST_HANDLE: Rule(
        STAFF,
        _unit_or_own,
        "办理诉求（受理、回复、转办、办结）",
        UNIT_OR_OWN + "（派给本人）的诉求",
    ),
    Action.PII_REVEAL: Rule(
        frozenset(PII_REVEAL_ROLES), _anything, "查看完整手机号、身份证号", "已可见的记录"
    ),
    Action.ACCOUNT_MANAGE: Rule(
        frozenset({Role.SECURITY}),
        _not_an_administrator,
        "管理账号（新建、修改、停用、重置密码和双因素、解锁、结束登录）",
        "三员（系统管理员、安全管理员、安全审计员）账号除外，只能在服务器上用命令行管理",
    ),
    # The one account the business opens itself: a contact's login, on the enterprise's page.
    Action.CONTACT_ACCOUNT_OPEN: Rule(
        frozenset({Role.LEADER}), _anything, "为企业联系人开通登录账号", "任一企业的联系人"
    ),
    Action.LEDGER_KEEP: Rule(
        frozenset({Role.ADMIN, Role.LEADER}),
        _anything,
        "台账导入（上传、检查、确认导入）与模板下载",
        "整个台账",
    ),
    # The whole ledger carries every phone and ID number whole (it must, to import back):
    # taking it is revealing them all, so only those who may reveal, and of them only the
    # leaders, whose scope is the whole bureau. Each export is audited.
    Action.LEDGER_EXPORT: Rule(
        frozenset({Role.LEADER}),
        _anything,
        "导出整个台账（含完整手机号、身份证号）",
        "整个台账；每次导出记入审计日志",
    ),
    # Notifications are of the business: the three administrators work none of its records.
    Action.NOTIFICATIONS_READ: Rule(
        STAFF, _anything, "查看和设置本人的通知（铃铛、通知中心、接收方式）", "仅本人的通知"
    ),
    Action.DELIVERY_MANAGE: Rule(
        frozenset({Role.ADMIN}),
        _anything,
        "查看待发送和发送失败的消息并重试；设置值班群机器人",
        "全部投递记录（地址已遮蔽）；机器人密钥保存后不再显示",
    ),
    # Who is away decides where a project's work goes: the officer, their chief, the leaders.
    Action.OFFICER_AWAY: Rule(
        frozenset({Role.LEADER, Role.CHIEF, Role.OFFICER}),
        _unit_or_own,
        "登记民警外出（休假、培训）与提前返岗",
        "分局领导不限；所长限本所民警；民警限本人",
    ),
}


def can(principal: Principal, action: Action, obj: Any = None) -> bool:
    """May `principal` do `action` (on `obj`, when given)?"""
    rule = POLICY[action]
    return principal.role in rule.roles and rule.check(principal, obj)


def require_action(action: Action) -> Callable[..., Principal]:
    """A dependency: the roles part of `action`; anyone else gets 403."""
    return require(*POLICY[action].roles)
