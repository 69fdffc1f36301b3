"""Accounts: creating logins, logging in and out, sessions, passwords, lockouts and API tokens.
The only module that writes the auth tables."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select, update

from liaison.audit.service import record_event, set_actor
from liaison.auth import second_factor
from liaison.auth.models import ApiToken, LoginThrottle, PasswordHistory, User, UserSession
from liaison.auth.passwords import hash_password, policy_errors, verify_password
from liaison.auth.roles import ADMIN_ROLES, ENTERPRISE_ROLES, OFFICER_ROLES, Role
from liaison.auth.throttle import address_key, counter
from liaison.clock import now
from liaison.config import Settings, get_settings
from liaison.db import database_busy, get_engine, pk, reading
from liaison.enterprises.service import enterprise_by_uscc
from liaison.errors import FieldError
from liaison.org.models import Officer

LOGIN_FAILED = "用户名或密码错误，或账号已被锁定。请稍后再试或联系管理员。"


class AccountError(FieldError):
    """A refused account operation."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


# ---- accounts ---------------------------------------------------------------------------


def get_by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def _link(
    session: Session, user: User, *, badge_no: str | None, enterprise_uscc: str | None
) -> None:
    """Link the login to its officer record or enterprise, as its role requires."""
    role = Role(user.role)
    user.officer_id = None
    user.enterprise_id = None
    if role in OFFICER_ROLES:
        if not badge_no:
            raise AccountError("项目警官和所长账号须关联警号", "badge_no")
        officer = session.exec(select(Officer).where(Officer.badge_no == badge_no)).first()
        if officer is None:
            raise AccountError(f"警号 {badge_no} 不存在", "badge_no")
        holder = session.exec(
            select(User).where(User.officer_id == officer.id, User.id != user.id)
        ).first()
        if holder is not None:
            raise AccountError(f"警号 {badge_no} 已关联账号 {holder.username}", "badge_no")
        user.officer_id = officer.id
    elif role in ENTERPRISE_ROLES:
        if not enterprise_uscc:
            raise AccountError("企业联系人账号须关联企业", "enterprise_uscc")
        enterprise = enterprise_by_uscc(session, enterprise_uscc)
        if enterprise is None:
            raise AccountError(
                f"统一社会信用代码 {enterprise_uscc} 的企业不存在", "enterprise_uscc"
            )
        user.enterprise_id = enterprise.id


def create_user(
    session: Session,
    settings: Settings,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str = "",
    badge_no: str | None = None,
    enterprise_uscc: str | None = None,
    must_change_password: bool = True,
) -> User:
    """A new login. It must change its password at first login unless told otherwise (demo)."""
    username = username.strip()
    if not username:
        raise AccountError("请填写用户名", "username")
    if get_by_username(session, username) is not None:
        raise AccountError("用户名已存在", "username")
    if errors := policy_errors(password, settings, username=username):
        raise AccountError("；".join(errors), "password")
    user = User(
        username=username,
        display_name=display_name.strip(),
        role=role.value,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
    )
    _link(session, user, badge_no=badge_no, enterprise_uscc=enterprise_uscc)
    if not user.display_name:
        officer = session.get(Officer, user.officer_id) if user.officer_id else None
        user.display_name = officer.name if officer else username
    session.add(user)
    session.flush()
    session.add(PasswordHistory(user_id=pk(user), password_hash=user.password_hash))
    return user


def update_user(
    session: Session,
    user: User,
    *,
    display_name: str,
    role: Role,
    badge_no: str | None,
    enterprise_uscc: str | None,
) -> None:
    if role != user.role and ADMIN_ROLES.intersection({role, Role(user.role)}):
        # Whoever held one of the three keeps his history under it: a sysadmin turned auditor
        # would audit his own acts. A new duty is a new account.
        raise AccountError("三员账号的角色不能变更，其他账号也不能改为三员角色；请另建账号", "role")
    user.display_name = display_name.strip() or user.username
    user.role = role.value
    _link(session, user, badge_no=badge_no, enterprise_uscc=enterprise_uscc)
    session.add(user)
    session.flush()


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivating ends every session and API token of the user at once."""
    user.active = active
    session.add(user)
    if not active:
        end_sessions(session, user)
    session.flush()


# ---- passwords -------------------------------------------------------------------------


def password_expired(user: User, settings: Settings) -> bool:
    if settings.password_expiry_days == 0:
        return False
    return now() - user.password_changed_at > timedelta(days=settings.password_expiry_days)


def must_change_password(user: User, settings: Settings) -> bool:
    return user.must_change_password or password_expired(user, settings)


def _set_password(session: Session, user: User, password: str, *, must_change: bool) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = now()
    user.must_change_password = must_change
    session.add(user)
    session.add(PasswordHistory(user_id=pk(user), password_hash=user.password_hash))
    session.flush()


def change_password(
    session: Session,
    settings: Settings,
    user: User,
    *,
    current: str,
    new: str,
    keep_session_id: int | None = None,
) -> None:
    """The user's own change; other sessions of theirs end, the one in use stays."""
    if not verify_password(user.password_hash, current):
        raise AccountError("当前密码不正确", "current_password")
    if errors := policy_errors(new, settings, username=user.username):
        raise AccountError("；".join(errors), "new_password")
    if settings.password_history:
        recent = session.exec(
            select(PasswordHistory.password_hash)
            .where(PasswordHistory.user_id == user.id)
            .order_by(col(PasswordHistory.id).desc())
            .limit(settings.password_history)
        ).all()
        if any(verify_password(h, new) for h in recent):
            raise AccountError(
                f"不能与最近 {settings.password_history} 次使用过的密码相同", "new_password"
            )
    _set_password(session, user, new, must_change=False)
    end_sessions(session, user, except_id=keep_session_id)


def reset_password(session: Session, user: User) -> str:
    """An admin's reset: a one-time random password that must be changed at next login."""
    temporary = "Ls-" + secrets.token_urlsafe(12)
    _set_password(session, user, temporary, must_change=True)
    end_sessions(session, user)
    unlock(session, user.username)
    return temporary


# ---- login throttle --------------------------------------------------------------------


# Failures are counted per account and per client address. Wrong second-factor codes have
# their own account counter, which a correct password does not clear: whoever holds the
# password must not be able to guess codes five at a time for ever.
def _account_key(username: str) -> str:
    return f"user:{username.strip().lower()}"


def _code_key(username: str) -> str:
    return f"code:{username.strip().lower()}"


def _throttle_keys(username: str, client_ip: str | None, *, code: bool = False) -> list[str]:
    keys = [_code_key(username) if code else _account_key(username)]
    if client_ip:
        keys.append(address_key("ip", client_ip))
    return keys


def locked_until(session: Session, username: str, client_ip: str | None) -> datetime | None:
    """When the account (by its passwords or by its codes) or the address is unlocked again;
    None when neither is locked now."""
    moment = now()
    keys = [_code_key(username), *_throttle_keys(username, client_ip)]
    rows = session.exec(select(LoginThrottle).where(col(LoginThrottle.key).in_(keys))).all()
    locks = [r.locked_until for r in rows if r.locked_until and r.locked_until > moment]
    return max(locks) if locks else None


def _count_failure(session: Session, settings: Settings, key: str) -> bool:
    """Count one failure under `key`; True when this failure locks it."""
    moment = now()
    row = counter(session, key)
    if moment - row.window_started_at > timedelta(minutes=settings.lockout_window_minutes):
        row.failures, row.window_started_at = 0, moment
    row.failures += 1
    locks = row.failures >= settings.lockout_failures
    if locks:
        row.locked_until = moment + timedelta(minutes=settings.lockout_minutes)
        row.failures, row.window_started_at = 0, moment
    session.add(row)
    return locks


def _forget(session: Session, *keys: str) -> None:
    session.exec(delete(LoginThrottle).where(col(LoginThrottle.key).in_(keys)))


def unlock(session: Session, username: str) -> None:
    """An administrator's unlock (or reset): both of the account's counters start again."""
    _forget(session, _account_key(username), _code_key(username))


def is_locked(session: Session, username: str) -> bool:
    return locked_until(session, username, None) is not None


def locked_usernames(session: Session, usernames: list[str]) -> set[str]:
    """Which of these accounts are locked now, in one query (for lists)."""
    keys = {key(name): name for name in usernames for key in (_account_key, _code_key)}
    locked = session.exec(
        select(LoginThrottle.key).where(
            col(LoginThrottle.key).in_(keys), col(LoginThrottle.locked_until) > now()
        )
    ).all()
    return {keys[key] for key in locked}


# ---- sessions --------------------------------------------------------------------------


@dataclass
class LoginResult:
    user: User | None
    token: str | None = None
    # Where the login goes next when the password alone is not enough (the code or enrolment
    # page); the session behind `token` opens nothing else until then.
    second_factor_page: str | None = None


def _turned_away(
    session: Session, event: str, user: User | None, username: str, detail: dict[str, Any]
) -> LoginResult:
    """No login, and its audit row under the name as typed (there may be no such user)."""
    record_event(
        session,
        event,
        object_type="User",
        object_id=user.id if user else None,
        actor_name=username,
        detail=detail,
    )
    return LoginResult(None)


def login(
    session: Session, settings: Settings, *, username: str, password: str, client_ip: str | None
) -> LoginResult:
    """Check the password and open a new session; a failure says nothing about why."""
    username = username.strip()
    user = get_by_username(session, username)
    if locked_until(session, username, client_ip) is not None:
        return _turned_away(session, "login_refused", user, username, {"reason": "locked"})
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        locked = [
            _count_failure(session, settings, key) for key in _throttle_keys(username, client_ip)
        ]
        return _turned_away(session, "login_failed", user, username, {"locked": any(locked)})
    # From here on the one acting is the person whose password this is, not "anonymous".
    set_actor(session, user_id=user.id, name=user.username, client_ip=client_ip)
    _forget(session, _account_key(username))  # not the codes' counter: see _code_key
    if second_factor.enrolled(user) or second_factor.required(user, settings):
        token = _open_session(session, user, client_ip, pending=True)
        record_event(session, "login_password_ok", object_type="User", object_id=user.id)
        page = second_factor.CODE_PAGE if second_factor.enrolled(user) else second_factor.ENROL_PAGE
        return LoginResult(user, token, page)
    return LoginResult(user, _complete_login(session, user, client_ip))


def _open_session(session: Session, user: User, client_ip: str | None, *, pending: bool) -> str:
    token = new_token()
    session.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=pk(user),
            client_ip=client_ip,
            second_factor_pending=pending,
        )
    )
    session.flush()
    return token


def _complete_login(session: Session, user: User, client_ip: str | None) -> str:
    user.last_login_at = now()
    session.add(user)
    token = _open_session(session, user, client_ip, pending=False)
    record_event(session, "login", object_type="User", object_id=user.id)
    return token


def promote(session: Session, user_session: UserSession, user: User) -> str:
    """The second factor is through: the half-open session gives way to a full one under a new
    token, so a token seen before the code was typed opens nothing."""
    session.exec(delete(UserSession).where(col(UserSession.id) == user_session.id))
    return _complete_login(session, user, user_session.client_ip)


def second_factor_login(
    session: Session,
    settings: Settings,
    user_session: UserSession,
    user: User,
    code: str,
    client_ip: str | None,
) -> str | None:
    """Check the code of a half-open session: the new full session's token, or None. Wrong
    codes lock the account as wrong passwords do, on a counter of their own that only a right
    code (or an administrator's unlock) clears; a lockout ends the session."""
    if locked_until(session, user.username, client_ip) is None and second_factor.verify(
        session, user, code
    ):
        _forget(session, _code_key(user.username))
        return promote(session, user_session, user)
    locked = [
        _count_failure(session, settings, key)
        for key in _throttle_keys(user.username, client_ip, code=True)
    ]
    record_event(
        session,
        "second_factor_failed",
        object_type="User",
        object_id=user.id,
        detail={"locked": any(locked)},
    )
    if any(locked) or locked_until(session, user.username, client_ip) is not None:
        session.exec(delete(UserSession).where(col(UserSession.id) == user_session.id))
    return None


def session_for_token(settings: Settings, token: str | None) -> tuple[UserSession, User] | None:
    """The live session behind a cookie, or None when it is unknown, idle, too old, or its user
    is inactive. Read apart from the request's own transaction, without a write lock (on SQLite
    a long import holds the only one): only ending a session or the once-a-minute touch write,
    each in its own short transaction."""
    if not token:
        return None
    with Session(reading(get_engine()), expire_on_commit=False) as session:
        row = session.exec(
            select(UserSession, User)
            .join(User, col(User.id) == UserSession.user_id)
            .where(UserSession.token_hash == token_hash(token))
        ).first()
    if row is None:
        return None
    user_session, user = row
    moment = now()
    idle = moment - user_session.last_seen_at > timedelta(minutes=settings.session_idle_minutes)
    too_old = moment - user_session.created_at > timedelta(hours=settings.session_absolute_hours)
    with Session(get_engine()) as session:
        if idle or too_old or not user.active or second_factor.pending_expired(user_session):
            session.exec(delete(UserSession).where(col(UserSession.id) == user_session.id))
            session.commit()
            return None
        # Touch at most once a minute: a write on every page would serialise them on SQLite.
        if moment - user_session.last_seen_at > timedelta(minutes=1):
            statement = (
                update(UserSession)
                .where(col(UserSession.id) == user_session.id)
                .values(last_seen_at=moment)
            )
            if _note(session, statement):
                user_session.last_seen_at = moment
    return user_session, user


def _note(session: Session, statement: Any) -> bool:
    """Write a note of use (a session's touch, a token's last use) and commit, unless the
    database is busy (an import holds SQLite's write lock): the page goes on without it, and
    the next request notes it."""
    try:
        session.exec(statement)
        session.commit()
    except sa.exc.DBAPIError as exc:
        session.rollback()
        if not database_busy(exc):
            raise
        return False
    return True


def logout(session: Session, user_session: UserSession) -> None:
    record_event(session, "logout", object_type="User", object_id=user_session.user_id)
    session.delete(user_session)
    session.flush()


def end_sessions(session: Session, user: User, *, except_id: int | None = None) -> None:
    """End the user's sessions but `except_id` (their own, changing their password). Ending
    them all is what recovering an account does (an admin's end-sessions, password or
    two-factor reset, deactivation): their API tokens are revoked with them, or whoever took
    the account would keep its data through a token."""
    query = delete(UserSession).where(col(UserSession.user_id) == user.id)
    if except_id is not None:
        query = query.where(col(UserSession.id) != except_id)
    session.exec(query)
    if except_id is None:
        for token in session.exec(
            select(ApiToken).where(ApiToken.user_id == user.id, col(ApiToken.revoked_at).is_(None))
        ):
            token.revoked_at = now()
            session.add(token)
    session.flush()


# ---- API tokens ------------------------------------------------------------------------


def create_api_token(session: Session, user: User, name: str = "") -> str:
    """A new bearer token, good for LIAISON_API_TOKEN_DAYS; returned once, only its hash kept."""
    token = "lsn_" + new_token()
    expires_at = now() + timedelta(days=get_settings().api_token_days)
    session.add(
        ApiToken(
            token_hash=token_hash(token), user_id=pk(user), name=name[:64], expires_at=expires_at
        )
    )
    session.flush()
    return token


def user_for_api_token(token: str) -> User | None:
    """The active user behind a live token (not revoked, not expired). Read apart from the
    request's own transaction, as a session's cookie is: on SQLite the request's first read
    of a POST takes the write lock, which the API's throttle, writing in a session of its own,
    would then wait for. Its last use is noted to the minute, in a short transaction of its
    own, as a session's touch is."""
    moment = now()
    with Session(reading(get_engine()), expire_on_commit=False) as session:
        row = session.exec(
            select(ApiToken, User)
            .join(User, col(User.id) == ApiToken.user_id)
            .where(
                ApiToken.token_hash == token_hash(token),
                col(ApiToken.revoked_at).is_(None),
                col(ApiToken.expires_at).is_(None) | (col(ApiToken.expires_at) > moment),
            )
        ).first()
    if row is None or not row[1].active:
        return None
    found, user = row
    if found.last_used_at is None or moment - found.last_used_at > timedelta(minutes=1):
        with Session(get_engine()) as own:
            _note(
                own,
                update(ApiToken).where(col(ApiToken.id) == found.id).values(last_used_at=moment),
            )
    return user


def api_tokens(session: Session, user: User | None = None) -> list[tuple[ApiToken, User]]:
    """Tokens with their users, newest first: one user's, or everyone's (user None)."""
    query = select(ApiToken, User).join(User, col(User.id) == ApiToken.user_id)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return [(t, u) for t, u in session.exec(query.order_by(col(ApiToken.id).desc())).all()]


def revoke_api_token(session: Session, token: ApiToken) -> None:
    """Stop one token now (the audit log records it, as every change of a tracked table)."""
    if token.revoked_at is None:
        token.revoked_at = now()
        session.add(token)
        session.flush()
