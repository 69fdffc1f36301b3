"""Password hashing (argon2) and the password policy (MLPS 2.0 defaults, configurable)."""

import re
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from liaison.config import Settings

_hasher = PasswordHasher()
# Verifying against this keeps the time of a login with an unknown username like a real one.
_DUMMY_HASH = _hasher.hash("liaison-timing-equaliser-not-a-password")

_LEET = str.maketrans(
    {"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache
def common_passwords() -> frozenset[str]:
    text = resources.files("liaison.auth").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def _is_common(password: str, username: str) -> bool:
    """Common words survive capitals, leetspeak and trailing digits or symbols: Passw0rd!2024."""
    lowered = password.lower()
    candidates = {lowered, lowered.translate(_LEET)}
    for text in list(candidates):
        candidates.add(re.sub(r"[\d\W_]+$", "", text))
        candidates.add(re.sub(r"^[\d\W_]+|[\d\W_]+$", "", text))
    common = common_passwords()
    if any(c in common for c in candidates if c):
        return True
    return bool(username) and username.lower() in lowered


def character_classes(password: str) -> int:
    return sum(
        bool(re.search(pattern, password))
        for pattern in (r"[a-z]", r"[A-Z]", r"\d", r"[^a-zA-Z\d]")
    )


def policy_errors(password: str, settings: Settings, *, username: str = "") -> list[str]:
    """Everything wrong with a new password, in Chinese; empty when it is acceptable."""
    errors = []
    if len(password) < settings.password_min_length:
        errors.append(f"密码至少 {settings.password_min_length} 个字符")
    if len(password) > settings.password_max_length:
        errors.append(f"密码最多 {settings.password_max_length} 个字符")
    if character_classes(password) < settings.password_min_classes:
        errors.append(
            f"密码须包含大写字母、小写字母、数字、符号中的至少 {settings.password_min_classes} 类"
        )
    if _is_common(password, username):
        errors.append("密码过于常见或包含用户名，请换一个")
    return errors


def policy_hint(settings: Settings) -> str:
    return (
        f"至少 {settings.password_min_length} 个字符，包含大写字母、小写字母、数字、符号中的至少 "
        f"{settings.password_min_classes} 类；不能是常见密码，不能与最近 "
        f"{settings.password_history} 次使用过的密码相同。"
    )
