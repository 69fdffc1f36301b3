"""Is this configuration fit for production? One set of rules: `liaison check` lists every
problem with what to change, and the settings refuse to load in production on any error. The
rules read the settings and import nothing of the app, so liaison/config.py can apply them as
it loads (liaison/db.py adds what only an open connection tells)."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from liaison.config import Settings

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105  (refused in production)
DEV_AUDIT_KEY = "dev-insecure-audit-key-change-me"  # refused in production

SECRET_MIN_LENGTH = 32
# A key of few distinct characters ("xxxx…", "1234…") is guessed however long it is;
# secrets.token_urlsafe(48) gives about forty.
SECRET_MIN_DISTINCT = 10
KEY_COMMAND = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


@dataclass(frozen=True)
class Problem:
    setting: str
    what: str
    fix: str
    error: bool = True  # False: a warning, printed but not refused

    def __str__(self) -> str:
        return f"{self.setting} {self.what}。修改：{self.fix}"


def settings_problems(settings: "Settings") -> list[Problem]:
    """What is wrong with these settings for production."""
    return [p for p in _settings_rules(settings) if p is not None]


def _settings_rules(s: "Settings") -> list[Problem | None]:
    return [
        _environment(s),
        _secret_key(s.secret_key),
        *_audit_key(s),
        Problem(
            "LIAISON_DOCS_ENABLED",
            "开启了 API 文档（/docs、/redoc、/openapi.json），向任何人公开接口结构",
            "删除此项或设为 false",
        )
        if s.docs_enabled
        else None,
        Problem(
            "LIAISON_TWO_FACTOR_REQUIRED",
            "关闭了民警等工作人员的双因素登录，仅凭密码即可登录",
            "删除此项（生产环境默认启用）或设为 true",
        )
        if s.two_factor_required is False
        else None,
        Problem(
            "LIAISON_DATABASE_URL",
            "使用 SQLite：单机文件数据库，不能多进程并发写入，也没有独立的账号权限",
            "改用 PostgreSQL（postgresql://用户@主机/库名）；确需单机部署时设 "
            "LIAISON_ALLOW_SQLITE_IN_PRODUCTION=true",
        )
        if _is_sqlite(s.database_url) and not s.allow_sqlite_in_production
        else None,
        *_public_url(s.public_url),
        Problem(
            "LIAISON_BUREAU_NAME",
            "未设置：群众表单的个人信息处理告知不写处理者名称，简报也没有发文单位",
            "设为分局的全称，例如 XX市公安局XX分局",
            error=False,
        )
        if not s.bureau_name.strip()
        else None,
        Problem(
            "LIAISON_TRUSTED_PROXIES",
            "信任所有地址（0.0.0.0/0 或 ::/0）：任何人都能在 X-Forwarded-For 中伪造来源地址，"
            "绕过按地址的登录锁定和群众表单限流",
            "只列出反向代理本身的地址或网段",
            error=False,
        )
        if any(network.prefixlen == 0 for network in s.trusted_networks)
        else None,
    ]


def _environment(s: "Settings") -> Problem | None:
    if s.is_production:
        return None
    return Problem(
        "LIAISON_ENV",
        "当前为开发模式：Cookie 不带 Secure 和 __Host- 前缀、不发送 HSTS、默认开放 API 文档",
        "设为 production",
    )


def _secret_key(
    key: str, setting: str = "LIAISON_SECRET_KEY", default: str = DEV_SECRET_KEY
) -> Problem | None:
    fix = f"设为至少 {SECRET_MIN_LENGTH} 个字符的随机值，例如 {KEY_COMMAND} 的输出"
    if key == default:
        what = "仍是代码中公开的开发默认密钥"
    elif len(key) < SECRET_MIN_LENGTH:
        what = f"只有 {len(key)} 个字符，太短"
    elif len(set(key)) < SECRET_MIN_DISTINCT:
        what = f"只由 {len(set(key))} 种字符组成，容易被猜出"
    else:
        return None
    return Problem(setting, what, fix)


def _audit_key(s: "Settings") -> list[Problem]:
    """The audit chain's key: a weak one lets whoever writes the database rebuild the chain."""
    if weak := _secret_key(s.audit_key, "LIAISON_AUDIT_KEY", DEV_AUDIT_KEY):
        return [weak]
    if s.audit_key == s.secret_key:
        return [
            Problem(
                "LIAISON_AUDIT_KEY",
                "与 LIAISON_SECRET_KEY 相同：更换会话密钥会使审计校验链无法校验",
                f"另设一个随机值，例如 {KEY_COMMAND} 的输出",
            )
        ]
    return []


def _public_url(url: str) -> list[Problem]:
    if not url:
        return [
            Problem(
                "LIAISON_PUBLIC_URL",
                "未设置：海报二维码将编码请求中 Host 头给出的地址，任何人都能改写它，"
                "让打印出的二维码指向别处；经代理或内网访问时群众的手机也打不开",
                "设为群众手机能访问的 https 地址",
            )
        ]
    if not url.startswith("https://"):
        return [
            Problem(
                "LIAISON_PUBLIC_URL",
                "不是 https 地址：二维码会把群众引到明文 HTTP，提交的姓名和电话可被窃听，"
                "带 Secure 的登录 Cookie 也无法使用",
                "改为 https:// 开头的地址，并在反向代理上配置证书",
            )
        ]
    return []


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def refusal(problems: list[Problem]) -> str | None:
    """The start-up refusal for these problems, or None when none is an error."""
    errors = [str(p) for p in problems if p.error]
    return "生产环境配置不安全：" + "；".join(errors) if errors else None
