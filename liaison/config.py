"""Settings, read from LIAISON_* environment variables and an optional .env file."""

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from liaison.checks import DEV_AUDIT_KEY, DEV_SECRET_KEY, refusal, settings_problems


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIAISON_", env_file=".env", extra="ignore")
    # Production refuses what liaison/checks.py calls an error; `liaison check` reads the
    # settings without refusing, to list every problem.
    refuses_insecure_production: ClassVar[bool] = True

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./liaison.db"
    # The role that owns the tables, for what only it may do: migrations, the audit purge,
    # restores (liaison/db_roles.py). Empty: LIAISON_DATABASE_URL does those too, as one role.
    database_owner_url: str = ""
    # A streaming standby of the same database for the heavy reads (metrics, dashboards);
    # empty: everything reads the primary.
    read_database_url: str = ""
    db_pool_size: int = Field(10, ge=1)
    db_max_overflow: int = Field(10, ge=0)
    secret_key: str = DEV_SECRET_KEY
    docs_enabled: bool | None = None  # default: on in development, off in production
    # SQLite serves one machine; production refuses it unless this says it is meant.
    allow_sqlite_in_production: bool = False
    # On SQLite a ledger import holds the one write lock for its whole transaction (it is all
    # or nothing), and every other write is refused (503) meanwhile: the web imports files of at
    # most this many rows there (9,212 rows held it 35 s on a loaded two-core test machine).
    # PostgreSQL has no limit.
    sqlite_import_max_rows: int = Field(10000, ge=1)

    # Sessions (MLPS 2.0: idle timeout, absolute lifetime).
    session_idle_minutes: int = Field(30, ge=1)
    session_absolute_hours: int = Field(12, ge=1)

    # Password policy, MLPS 2.0 defaults; see README for the ASVS deviations.
    password_min_length: int = Field(12, ge=8)
    password_max_length: int = Field(128, ge=64, le=1024)
    password_min_classes: int = Field(3, ge=1, le=4)
    password_expiry_days: int = Field(90, ge=0)  # 0 = never expires
    password_history: int = Field(5, ge=0)

    # A project not visited for this many days is overdue for a visit.
    visit_interval_days: int = Field(30, ge=1, le=366)

    # Days to rectify a hazard, by level, when the finder sets no deadline.
    hazard_days_major: int = Field(7, ge=1)
    hazard_days_serious: int = Field(15, ge=1)
    hazard_days_general: int = Field(30, ge=1)

    # Request desk service levels: first response and closure, counted from receipt.
    desk_response_hours: int = Field(24, ge=1)
    desk_close_days: int = Field(7, ge=1)
    # A request shows as due soon this many hours before its response or closure deadline.
    desk_warn_response_hours: int = Field(4, ge=0)
    desk_warn_close_hours: int = Field(24, ge=0)
    # Public form and tracking: hits allowed per client address, per phone and per number.
    # Per address and phone together: the workers of one site share one address (a site's
    # network, a carrier's gateway), so the address alone has only a looser ceiling.
    desk_submits_per_hour: int = Field(5, ge=1)
    desk_submits_per_address_hour: int = Field(30, ge=1)
    desk_submits_per_phone_day: int = Field(5, ge=1)
    desk_tracks_per_10_minutes: int = Field(10, ge=1)
    # A closed request's submitter (name, phone, numbers in the text, photos) is kept this many
    # days after closure, then removed by `liaison retention` (PIPL 19, 47; default 3 years).
    request_pii_retention_days: int = Field(1095, ge=1)
    # The address people's phones reach the public form at, e.g. https://liaison.example.gov.cn;
    # the posters' QR codes encode it. Empty: the address this server was reached at, which
    # behind a proxy or on an intranet host is not one a phone outside can open.
    public_url: str = Field("", pattern=r"^(https?://[^\s/?#]+[^\s?#]*)?$")

    # The bureau (分局) this deployment serves, as it signs what it issues: the public form's
    # notice names it as the processor of personal data (PIPL 17), the brief as its issuer.
    bureau_name: str = Field("", max_length=64)
    # Its duty telephone, which the public form offers when it cannot take a request.
    bureau_phone: str = Field("", max_length=32)

    # The dashboard's league table ranks a station only with at least this many cases
    # (hazards found, disputes and requests received) in the period.
    metrics_league_min_cases: int = Field(10, ge=0)

    # Proxies whose X-Forwarded-For is believed (comma-separated addresses or networks, e.g.
    # "10.0.0.0/8,127.0.0.1"). Empty: the client address is the socket's, whatever the header
    # says, so nobody can choose their own address to slip past the per-address limits.
    trusted_proxies: str = ""

    # The second login factor (TOTP) for staff. Unset: required in production, optional in
    # development (where the demo's logins have none); production refuses false.
    two_factor_required: bool | None = None

    # The API: requests per token's owner a minute, and failed bearer tokens per client
    # address in 10 minutes, counted in the database so every app process agrees.
    api_requests_per_minute: int = Field(120, ge=1)
    # An API token stops working this many days after it is made; make a new one then.
    api_token_days: int = Field(90, ge=1, le=3650)
    api_failures_per_10_minutes: int = Field(20, ge=1)

    # Failed-login lockout, per account and per client address.
    lockout_failures: int = Field(5, ge=1)
    lockout_window_minutes: int = Field(15, ge=1)
    lockout_minutes: int = Field(15, ge=1)

    # Days the audit log is kept at least; `liaison audit purge` removes nothing younger. The
    # law asks for 180 (Cybersecurity Law Art. 21), so no setting can go below.
    audit_retention_days: int = Field(180, ge=180)
    # The key of the audit chain's hashes and of its checkpoints (liaison/audit/chain.py):
    # kept outside the database, so whoever can write the database cannot rebuild the chain.
    # Set it once before the first start and never change it: rows hashed with another key
    # fail verification. Development and tests use a fixed key, which production refuses.
    audit_key: str = DEV_AUDIT_KEY
    # Where the signed checkpoints of the chain's head go (liaison/audit/checkpoint.py). Empty:
    # audit-checkpoints/ beside the SQLite database, or in the working directory otherwise.
    audit_checkpoint_dir: str = ""
    # Each app process writes a checkpoint when the newest is this many hours old (all
    # processes together write one); 0: none, a cron job runs `liaison audit checkpoint`.
    audit_checkpoint_hours: int = Field(24, ge=0)

    # The job engine (huey, liaison/jobs.py): where its queue lives. Empty: a SQLite file,
    # LIAISON_JOBS_PATH, for one machine; "redis://host:6379/0" for several machines or several
    # `liaison worker` processes; "memory://" (the tests) keeps it in the process.
    jobs_url: str = Field("", pattern=r"^(redis://\S+|memory://)?$")
    # Empty: liaison-jobs.db beside the SQLite database, or in the working directory otherwise.
    jobs_path: str = ""
    # `liaison serve` runs the jobs in its own process (the one-machine default). Production
    # with several web processes sets false and runs `liaison worker` beside them.
    worker_in_serve: bool = True

    # Email: the SMTP server notifications are sent through. Empty host: no mail is sent.
    smtp_host: str = ""
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "liaison@localhost"
    smtp_starttls: bool = False
    # SMS: the gateway of the government SMS platform (an HTTP POST of JSON, signed with the
    # account's key). Empty URL: no SMS is sent. The signature (短信签名) heads every text.
    sms_url: str = ""
    sms_account: str = ""
    sms_key: str = ""
    sms_signature: str = Field("【项目警官】", max_length=20)
    # A delivery that fails is tried again after 1, 2, 4... minutes, this many times in all.
    delivery_attempts: int = Field(6, ge=1, le=20)
    # A breach that stays breached goes to the leaders this many hours after its chief.
    escalate_leaders_hours: int = Field(24, ge=1)
    # The morning digest's hour (Asia/Shanghai).
    digest_hour: int = Field(8, ge=0, le=23)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks_parse(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(
                    f"LIAISON_TRUSTED_PROXIES: {part} is not an address or network"
                ) from None
        return value

    @property
    def trusted_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        parts = filter(None, (p.strip() for p in self.trusted_proxies.split(",")))
        return [ipaddress.ip_network(part, strict=False) for part in parts]

    @property
    def migration_url(self) -> str:
        """Where the schema is changed: the owner's connection, else the app's own."""
        return self.database_owner_url or self.database_url

    @property
    def audit_checkpoint_path(self) -> Path:
        if self.audit_checkpoint_dir:
            return Path(self.audit_checkpoint_dir)
        return self._beside_database("audit-checkpoints")

    @property
    def jobs_file(self) -> Path:
        return Path(self.jobs_path) if self.jobs_path else self._beside_database("liaison-jobs.db")

    def _beside_database(self, name: str) -> Path:
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(url.database).parent / name
        return Path(name)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def requests_in_flight(self) -> int:
        """Requests one process serves at once: each may hold two pooled connections."""
        return max(1, (self.db_pool_size + self.db_max_overflow) // 2)

    @property
    def second_factor_required(self) -> bool:
        if self.two_factor_required is None:
            return self.is_production
        return self.two_factor_required

    @property
    def docs_on(self) -> bool:
        return self.docs_enabled if self.docs_enabled is not None else not self.is_production

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> "Settings":
        if not (self.is_production and self.refuses_insecure_production):
            return self
        refused = refusal(settings_problems(self))
        if refused:
            raise ValueError(refused)
        return self

    @property
    def session_cookie(self) -> str:
        # The __Host- prefix pins the cookie to this host over HTTPS, path /.
        return "__Host-liaison_session" if self.is_production else "liaison_session"

    @property
    def csrf_cookie(self) -> str:
        return "__Host-liaison_csrf" if self.is_production else "liaison_csrf"

    @property
    def flash_cookie(self) -> str:
        return "__Host-liaison_flash" if self.is_production else "liaison_flash"


@lru_cache
def get_settings() -> Settings:
    return Settings()
