"""`liaison check` lists what makes a configuration unfit for production, with what to change,
and production refuses to start on exactly its errors (SECURITY.md E2)."""

import secrets

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from liaison import db
from liaison.app import create_app
from liaison.cli import app
from liaison.config import DEV_SECRET_KEY, Settings, get_settings

SOUND = {
    "LIAISON_ENV": "production",
    "LIAISON_SECRET_KEY": secrets.token_urlsafe(48),
    "LIAISON_AUDIT_KEY": secrets.token_urlsafe(48),
    "LIAISON_DATABASE_URL": "postgresql://liaison@db.example/liaison",
    "LIAISON_PUBLIC_URL": "https://liaison.example.gov.cn",
    "LIAISON_BUREAU_NAME": "滨江市公安局城南分局",
}


def configure(monkeypatch: pytest.MonkeyPatch, **changes: str | None) -> None:
    """The sound production configuration with `changes` (None: the variable unset)."""
    for key, value in {**SOUND, **changes}.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    for key in ("LIAISON_DOCS_ENABLED", "LIAISON_TRUSTED_PROXIES", "LIAISON_TWO_FACTOR_REQUIRED"):
        if key not in changes:
            monkeypatch.delenv(key, raising=False)
    get_settings.cache_clear()


def check():  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["check"])


def test_a_sound_production_configuration_passes(monkeypatch):
    configure(monkeypatch)
    result = check()
    assert result.exit_code == 0
    assert result.output.strip() == "检查通过"
    assert get_settings().is_production


# Each: the variables that make it wrong, and words of what the command says to change.
ERRORS = {
    "the development key": ({"LIAISON_SECRET_KEY": DEV_SECRET_KEY}, "开发默认密钥"),
    "no key at all": ({"LIAISON_SECRET_KEY": None}, "开发默认密钥"),
    "a short key": ({"LIAISON_SECRET_KEY": "Kx7#mQ2!vR9pLw-short"}, "太短"),
    "a key of one character repeated": ({"LIAISON_SECRET_KEY": "x" * 64}, "容易被猜出"),
    "API docs on": ({"LIAISON_DOCS_ENABLED": "true"}, "API 文档"),
    "second factor off": ({"LIAISON_TWO_FACTOR_REQUIRED": "false"}, "双因素"),
    "SQLite": ({"LIAISON_DATABASE_URL": "sqlite:///./liaison.db"}, "改用 PostgreSQL"),
    "a plain-HTTP public address": ({"LIAISON_PUBLIC_URL": "http://liaison.example"}, "https"),
    # Issue 18, finding 21: without it the posters' QR codes follow the request's Host header.
    "no public address": ({"LIAISON_PUBLIC_URL": None}, "Host"),
}


@pytest.mark.parametrize("case", ERRORS, ids=list(ERRORS))
def test_the_command_and_start_up_refuse_the_same_errors(monkeypatch, case):
    changes, words = ERRORS[case]
    configure(monkeypatch, **changes)
    setting = next(iter(changes))
    result = check()
    assert result.exit_code == 1
    reported = [line for line in result.output.splitlines() if line.startswith("错误")]
    assert len(reported) == 1 and setting in reported[0] and words in reported[0]
    assert "修改：" in reported[0]
    assert "生产环境将拒绝" in result.output
    with pytest.raises(ValidationError) as refused:
        create_app()
    assert "生产环境配置不安全" in str(refused.value)
    assert reported[0].removeprefix("错误  ") in str(refused.value)


def test_sqlite_in_production_passes_when_explicitly_allowed(monkeypatch):
    configure(
        monkeypatch,
        LIAISON_DATABASE_URL="sqlite:///./liaison.db",
        LIAISON_ALLOW_SQLITE_IN_PRODUCTION="true",
    )
    assert check().exit_code == 0
    assert get_settings().is_production


def test_every_error_is_listed_at_once(monkeypatch):
    configure(
        monkeypatch,
        LIAISON_SECRET_KEY=None,
        LIAISON_DOCS_ENABLED="true",
        LIAISON_DATABASE_URL="sqlite:///./liaison.db",
    )
    result = check()
    assert result.exit_code == 1
    listed = " ".join(line for line in result.output.splitlines() if line.startswith("错误"))
    for setting in ("LIAISON_SECRET_KEY", "LIAISON_DOCS_ENABLED", "LIAISON_DATABASE_URL"):
        assert setting in listed
    assert "共 3 处错误" in result.output


def test_development_mode_is_itself_an_error_for_production(monkeypatch):
    configure(monkeypatch, LIAISON_ENV="development")
    result = check()
    assert result.exit_code == 1
    assert "LIAISON_ENV" in result.output and "Secure" in result.output
    assert not get_settings().is_production  # development itself still starts


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"LIAISON_BUREAU_NAME": None}, "个人信息处理告知"),
        ({"LIAISON_TRUSTED_PROXIES": "10.0.0.1,0.0.0.0/0"}, "伪造"),
        ({"LIAISON_TRUSTED_PROXIES": "::/0"}, "伪造"),
    ],
)
def test_warnings_are_printed_but_do_not_refuse(monkeypatch, changes, words):
    configure(monkeypatch, **changes)
    result = check()
    assert result.exit_code == 0
    warned = [line for line in result.output.splitlines() if line.startswith("提醒")]
    assert len(warned) == 1 and words in warned[0] and next(iter(changes)) in warned[0]
    assert "检查通过（1 条提醒）" in result.output
    assert get_settings().is_production


def test_a_proxy_network_short_of_everyone_is_no_warning(monkeypatch):
    configure(monkeypatch, LIAISON_TRUSTED_PROXIES="10.0.0.0/8,127.0.0.1")
    assert check().output.strip() == "检查通过"


def test_sqlite_without_foreign_keys_is_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(db, "_configure_sqlite", lambda engine: None)
    configure(
        monkeypatch,
        LIAISON_DATABASE_URL=f"sqlite:///{tmp_path / 'liaison.db'}",
        LIAISON_ALLOW_SQLITE_IN_PRODUCTION="true",
    )
    result = check()
    assert result.exit_code == 1 and "foreign_keys" in result.output
    with pytest.raises(ValueError, match="外键"):
        create_app()


def test_the_refusal_is_raised_where_settings_are_built(monkeypatch):
    configure(monkeypatch, LIAISON_DOCS_ENABLED="true")
    with pytest.raises(ValidationError, match="LIAISON_DOCS_ENABLED"):
        Settings()


def test_serve_refuses_before_binding_and_says_what_to_change(monkeypatch):
    configure(monkeypatch, LIAISON_SECRET_KEY=None)
    result = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "LIAISON_SECRET_KEY" in result.output and "修改：" in result.output
    assert "Traceback" not in result.output
