"""Every kind of notification: its Chinese title, and whether quiet hours may hold it back.

A kind is a word other programs see (`GET /api/v1/notifications` answers it), so its value never
changes once released; the title is what a person reads in the bell, a mail's subject or an SMS.
"""

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    # Requests
    REQUEST_ROUTED = "request.routed"
    REQUEST_REOPENED = "request.reopened"
    REQUEST_REPLY = "request.reply"
    # Hazards
    HAZARD_FOUND = "hazard.found"
    HAZARD_REVIEW = "hazard.review"
    HAZARD_RETURNED = "hazard.returned"
    HAZARD_MAJOR = "hazard.major"
    # Deadlines, as reminders
    RESPONSE_DUE = "request.response_due"
    RESPONSE_BREACHED = "request.response_breached"
    CLOSURE_DUE = "request.closure_due"
    CLOSURE_BREACHED = "request.closure_breached"
    HAZARD_DUE = "hazard.due"
    HAZARD_BREACHED = "hazard.breached"
    JUDICIAL_DUE = "dispute.judicial_due"
    VISIT_OVERDUE = "project.visit_overdue"
    # Escalation of a breach that stays breached
    ESCALATED = "escalated"
    # Digests and reports
    DIGEST = "digest.morning"
    MONTHLY_BRIEF = "brief.monthly"

    @property
    def label(self) -> str:
        return KINDS[self].title

    @property
    def urgent(self) -> bool:
        """Breaches and escalations pass quiet hours; everything else waits for the morning."""
        return KINDS[self].urgent

    @property
    def group(self) -> str:
        return KINDS[self].group


@dataclass(frozen=True)
class About:
    title: str
    group: str  # the heading the preferences page and the bell's filter list it under
    urgent: bool = False


KINDS = {
    Kind.REQUEST_ROUTED: About("诉求转至您处办理", "诉求"),
    Kind.REQUEST_REOPENED: About("诉求评价不满意，已重办", "诉求"),
    Kind.REQUEST_REPLY: About("企业联系人有新回复", "诉求"),
    Kind.HAZARD_FOUND: About("您的项目发现隐患", "隐患"),
    Kind.HAZARD_REVIEW: About("隐患待您复查", "隐患"),
    Kind.HAZARD_RETURNED: About("隐患复查未通过，已退回整改", "隐患"),
    Kind.HAZARD_MAJOR: About("重大隐患挂牌督办", "隐患", urgent=True),
    Kind.RESPONSE_DUE: About("诉求即将超过响应时限", "时限提醒"),
    Kind.RESPONSE_BREACHED: About("诉求已超过响应时限", "时限提醒", urgent=True),
    Kind.CLOSURE_DUE: About("诉求即将超过办结时限", "时限提醒"),
    Kind.CLOSURE_BREACHED: About("诉求已超过办结时限", "时限提醒", urgent=True),
    Kind.HAZARD_DUE: About("隐患整改期限将至", "时限提醒"),
    Kind.HAZARD_BREACHED: About("隐患逾期未整改", "时限提醒", urgent=True),
    Kind.JUDICIAL_DUE: About("司法确认申请期限将至", "时限提醒"),
    Kind.VISIT_OVERDUE: About("项目走访已逾期", "时限提醒"),
    Kind.ESCALATED: About("超时督办", "督办", urgent=True),
    Kind.DIGEST: About("今日待办", "简报"),
    Kind.MONTHLY_BRIEF: About("月度工作简报", "简报"),
}
