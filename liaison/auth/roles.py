"""The roles of PRODUCT.md, with their Chinese labels and where each lands after login."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SECURITY = "security"
    AUDITOR = "auditor"
    LEADER = "leader"
    CHIEF = "chief"
    OFFICER = "officer"
    ENTERPRISE = "enterprise"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "系统管理员",
    Role.SECURITY: "安全管理员",
    Role.AUDITOR: "安全审计员",
    Role.LEADER: "分局领导/机关",
    Role.CHIEF: "派出所所长",
    Role.OFFICER: "项目警官",
    Role.ENTERPRISE: "企业联系人",
}

# The three administrators (三员, MLPS 2.0 level 3): the system administrator runs stations,
# settings and the ledger; the security administrator manages the other accounts; the auditor
# reads the audit log of both. None may create, reset or take over an account of the three
# through the web (liaison/auth/policy.py ACCOUNT_MANAGE): that is done with the `liaison`
# command on the server, audited as "cli". An account never moves from one of them to another.
ADMIN_ROLES = frozenset({Role.ADMIN, Role.SECURITY, Role.AUDITOR})
# Logins that must link to an officer record, and those that must belong to an enterprise.
OFFICER_ROLES = frozenset({Role.CHIEF, Role.OFFICER})
ENTERPRISE_ROLES = frozenset({Role.ENTERPRISE})
# Staff who work the business data (everyone but the two back-office roles and enterprises).
STAFF_ROLES = frozenset({Role.LEADER, Role.CHIEF, Role.OFFICER})
# Who read the business records, each within their scope: all but the security administrator,
# who keeps accounts, and the auditor, who reads logs.
READER_ROLES = frozenset({Role.ADMIN, *STAFF_ROLES, Role.ENTERPRISE})
# Disputes are read by all of those but enterprise contacts: a case is often the enterprise's
# own workers against it (a wage claim), told to the police, not to the employer.
CASE_READER_ROLES = READER_ROLES - {Role.ENTERPRISE}
# The pii.reveal permission (SECURITY.md Z4, P4): who may see one masked phone or ID number
# whole, on a record they already reach. Not the auditor, not enterprise contacts, not admins
# (who keep officer records but work no case).
PII_REVEAL_ROLES = STAFF_ROLES

HOME_PATHS = {
    Role.ADMIN: "/admin/stations",
    Role.SECURITY: "/admin/users",
    Role.AUDITOR: "/audit",
}


def home_path(role: str) -> str:
    return HOME_PATHS.get(Role(role), "/home")
