"""Logins, their server-side sessions, API tokens and failed-login counters."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from liaison.auth.roles import Role
from liaison.clock import now
from liaison.db import UTCDateTime

_ROLE_VALUES = ", ".join(f"'{r.value}'" for r in Role)


class User(SQLModel, table=True):
    """A login. Officers and chiefs link to an officer record, enterprise contacts to an
    enterprise."""

    __noun__ = "账号"  # what the audit log calls one

    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL
    __audit_exclude__ = frozenset({"password_hash", "totp_secret", "totp_last_step"})

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=64)
    role: str = Field(max_length=16)
    active: bool = True
    password_hash: str = Field(max_length=255)
    must_change_password: bool = True
    password_changed_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The second factor (TOTP): the shared secret, set when enrolment starts and confirmed by a
    # first code; the last time step used, so a code is never accepted twice.
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    totp_last_step: int | None = None
    officer_id: int | None = Field(default=None, foreign_key="officer.id", unique=True)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    __table_args__ = (sa.CheckConstraint(f"role IN ({_ROLE_VALUES})", name="role_known"),)

    def __str__(self) -> str:
        return f"{self.display_name}（{self.username}）"


class PasswordHistory(SQLModel, table=True):
    """Earlier password hashes, so the last few cannot be reused."""

    __noun__ = "密码记录"  # what the audit log calls one

    __tablename__ = "password_history"
    __audit__ = False

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class RecoveryCode(SQLModel, table=True):
    """A single-use code that stands in for the second factor when the phone is lost. Only
    its hash is kept; the ten codes are shown once, at enrolment."""

    __noun__ = "恢复码"  # what the audit log calls one

    __tablename__ = "recovery_code"
    __audit__ = False  # issuing and using codes are audited as events

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserSession(SQLModel, table=True):
    """A browser session. Only a hash of the cookie's token is stored."""

    __noun__ = "会话"  # what the audit log calls one

    __tablename__ = "user_session"
    __audit__ = False  # logins and logouts are audited as events

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    client_ip: str | None = Field(default=None, max_length=64)
    # Password checked, second factor not yet: such a session opens only the code and
    # enrolment pages, and lapses after a few minutes.
    second_factor_pending: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )


class ApiToken(SQLModel, table=True):
    """A bearer token for /api/v1. Only its hash is stored; the token is shown once."""

    __noun__ = "API 令牌"  # what the audit log calls one

    __tablename__ = "api_token"
    __audit_exclude__ = frozenset({"token_hash"})

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    name: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # None only for tokens made before tokens expired (LIAISON_API_TOKEN_DAYS).
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginThrottle(SQLModel, table=True):
    """Failed logins counted per key ("user:NAME", "code:NAME" for second-factor codes, or
    "ip:ADDRESS"), kept in the database so every app process sees the same lockouts."""

    __noun__ = "登录限制"  # what the audit log calls one

    __tablename__ = "login_throttle"
    __audit__ = False

    key: str = Field(primary_key=True, max_length=160)
    failures: int = 0
    window_started_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
