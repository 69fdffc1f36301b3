"""The second login factor (MLPS 2.0 8.1.4.1 d): TOTP codes (RFC 6238) from an authenticator
app, and ten single-use recovery codes for a lost phone. Codes are consumed with a conditional
UPDATE, so two app processes cannot both accept the same one."""

import hashlib
import hmac
import secrets
from datetime import timedelta

import pyotp
import segno
from markupsafe import Markup
from sqlmodel import Session, col, delete, func, select, update

from liaison.audit.service import record_event
from liaison.auth.models import RecoveryCode, User, UserSession
from liaison.auth.roles import ENTERPRISE_ROLES, Role
from liaison.clock import now
from liaison.config import Settings

ISSUER = "Liaison 项目警官"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
# A half-logged-in session (password checked) waits this long for its code.
PENDING_LIFETIME = timedelta(minutes=5)

CODE_PAGE = "/login/code"
ENROL_PAGE = "/account/two-factor"
# What a login held at each gate may open: the code page only (an enrolled user), or the
# enrolment pages only (a user who must enrol) — never enrolment while a code is owed.
OPEN_BEFORE = {
    CODE_PAGE: frozenset({CODE_PAGE, "/logout"}),
    ENROL_PAGE: frozenset({ENROL_PAGE, ENROL_PAGE + "/start", ENROL_PAGE + "/confirm", "/logout"}),
}


def enrolled(user: User) -> bool:
    return user.totp_confirmed_at is not None


def required(user: User, settings: Settings) -> bool:
    """Staff must have a second factor when the setting asks for it (always in production);
    enterprise contacts may add one."""
    return settings.second_factor_required and Role(user.role) not in ENTERPRISE_ROLES


def gate(user: User, user_session: UserSession | None, settings: Settings) -> str | None:
    """The page a login must pass before any other, or None when it is through."""
    if user_session is not None and user_session.second_factor_pending and enrolled(user):
        return CODE_PAGE
    pending = user_session is not None and user_session.second_factor_pending
    if (pending or required(user, settings)) and not enrolled(user):
        return ENROL_PAGE
    return None


def pending_expired(user_session: UserSession) -> bool:
    return user_session.second_factor_pending and (
        now() - user_session.created_at > PENDING_LIFETIME
    )


# ---- enrolment -------------------------------------------------------------------------


def start_enrolment(session: Session, user: User) -> str:
    """A new secret, not yet in force: it counts once a code from it is confirmed."""
    user.totp_secret = pyotp.random_base32()
    user.totp_confirmed_at = None
    user.totp_last_step = None
    session.add(user)
    session.flush()
    return user.totp_secret


def provisioning_qr(user: User) -> Markup:
    """The otpauth:// address as an inline <svg> QR code, for the authenticator app to scan."""
    assert user.totp_secret is not None
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    svg = segno.make_qr(uri, error="m").svg_inline(
        border=2, omitsize=True, svgclass="qr-code", lineclass=None, title="用身份验证器扫码"
    )
    return Markup(svg)  # noqa: S704  (segno's own markup; the secret is only in the modules)


def confirm_enrolment(session: Session, user: User, code: str) -> list[str] | None:
    """The first code proves the app holds the secret; returns the recovery codes to show
    once, or None when the code is wrong."""
    if user.totp_secret is None or not _accept_totp(session, user, code):
        return None
    user.totp_confirmed_at = now()
    session.add(user)
    codes = issue_recovery_codes(session, user)
    record_event(session, "second_factor_enrolled", object_type="User", object_id=user.id)
    return codes


def reset(session: Session, user: User) -> None:
    """An admin's reset for a lost phone: the secret and codes go, every session ends, and
    the user enrols again at the next login."""
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    session.add(user)
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    session.exec(delete(UserSession).where(col(UserSession.user_id) == user.id))
    record_event(session, "second_factor_reset", object_type="User", object_id=user.id)
    session.flush()


# ---- codes -----------------------------------------------------------------------------


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def issue_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten new codes (about 50 bits each) replacing any earlier ones; only hashes are kept."""
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    assert user.id is not None
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(c)) for c in codes)
    session.flush()
    return codes


def recovery_codes_left(session: Session, user: User) -> int:
    return session.exec(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, col(RecoveryCode.used_at).is_(None))
    ).one()


def _accept_totp(session: Session, user: User, code: str) -> bool:
    """A code of the current 30-second step or either neighbour (clock drift), never one of a
    step already used: the UPDATE claims the step, so a replay — even a simultaneous one in
    another process — finds it taken."""
    code = _normalise(code)
    # ASCII digits only: str.isdigit() also takes "١٢٣٤٥٦", which no authenticator shows.
    if user.totp_secret is None or len(code) != 6 or not (code.isascii() and code.isdigit()):
        return False
    totp = pyotp.TOTP(user.totp_secret)
    current = totp.timecode(now())
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            claimed = session.exec(
                update(User)
                .where(col(User.id) == user.id)
                .where(col(User.totp_last_step).is_(None) | (col(User.totp_last_step) < step))
                .values(totp_last_step=step)
            )
            if claimed.rowcount == 1:
                user.totp_last_step = step
                return True
            return False
    return False


def _accept_recovery_code(session: Session, user: User, code: str) -> bool:
    used = session.exec(
        update(RecoveryCode)
        .where(
            col(RecoveryCode.user_id) == user.id,
            col(RecoveryCode.code_hash) == _recovery_hash(code),
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=now())
    )
    if used.rowcount != 1:
        return False
    record_event(session, "recovery_code_used", object_type="User", object_id=user.id)
    return True


def verify(session: Session, user: User, code: str) -> bool:
    """A TOTP code or an unused recovery code of this enrolled user."""
    if not enrolled(user):
        return False
    return _accept_totp(session, user, code) or _accept_recovery_code(session, user, code)
