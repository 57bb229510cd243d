"""Settings from arguments and MENTORLOG_* environment variables."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from mentorlog.core.oidc import ASYMMETRIC, OidcClient, OidcSettings
from mentorlog.plugins.interfaces import SmtpSettings

DEFAULT_DATA_DIR = "./mentorlog-data"
DEFAULT_SCHEMA = "public"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
MARKER = "mentorlog.json"
URL_SCHEMES = ("postgresql", "postgres")
# Query parameters a database URL may carry; libpq's others go in PG* variables.
URL_PARAMETERS = ("schema", "host", "port", "user", "password", "dbname")


@dataclass(frozen=True)
class PostgresURL:
    """A PostgreSQL database URL, taken apart: server, database, user and schema."""

    host: str
    port: str
    dbname: str
    user: str
    password: str
    schema: str

    @classmethod
    def parse(cls, url: str, schema: str | None = None) -> PostgresURL:
        """Parse postgresql://user:password@host:port/dbname?schema=name."""
        parts = urlsplit(url)
        if parts.scheme not in URL_SCHEMES:
            raise ValueError(
                f"the database URL's scheme '{parts.scheme}' is not PostgreSQL's; "
                "expected postgresql://user:password@host:port/dbname?schema=name"
            )
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        unknown = sorted(set(query) - set(URL_PARAMETERS))
        if unknown:
            raise ValueError(
                f"the database URL has unsupported parameters: {', '.join(unknown)} "
                "(set PGSSLMODE and the other PG* variables instead)"
            )
        try:
            port = parts.port
        except ValueError:
            raise ValueError("the database URL has a bad port") from None
        dbname = query.get("dbname") or unquote(parts.path.lstrip("/"))
        user = query.get("user") or unquote(parts.username or "")
        if not dbname:
            raise ValueError("the database URL names no database: add /dbname")
        return cls(
            host=query.get("host") or unquote(parts.hostname or ""),
            port=query.get("port") or str(port or 5432),
            dbname=dbname,
            user=user or os.environ.get("PGUSER") or getpass.getuser(),
            password=query.get("password") or unquote(parts.password or ""),
            schema=schema or query.get("schema") or DEFAULT_SCHEMA,
        )

    @property
    def where(self) -> str:
        """Where the database is, for messages (no password)."""
        host = self.host or "the local socket"
        return f"database '{self.dbname}' on {host}:{self.port} as '{self.user}'"

    def connection_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for psycopg.connect."""
        kwargs: dict[str, Any] = {
            "dbname": self.dbname,
            "port": self.port,
            "user": self.user,
        }
        if self.host:
            kwargs["host"] = self.host
        if self.password:
            kwargs["password"] = self.password
        return kwargs

    def eventsourcing_env(self) -> dict[str, str]:
        """The POSTGRES_* keys eventsourcing's PostgreSQL module reads."""
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": self.port,
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_SCHEMA": self.schema,
        }


@dataclass(frozen=True)
class Settings:
    """Where data lives and which plugins load."""

    data_dir: Path
    disabled_plugins: tuple[str, ...] = field(default_factory=tuple)
    skip_failing_plugins: bool = False
    poll_interval: float = 0.2
    write_timeout: float = 5.0
    # Events the projections apply per transaction (env MENTORLOG_PAGE_SIZE).
    page_size: int = 500
    # postgresql://user:password@host:port/dbname?schema=name; None: SQLite files.
    database_url: str | None = None
    # The PostgreSQL schema; overrides the URL's ?schema= (default "public").
    database_schema: str | None = None
    # The API answers introspection queries and serves GraphiQL (both default on).
    introspection: bool = True
    graphiql: bool = True
    # The largest request body the API reads, in bytes (env MENTORLOG_MAX_BODY_BYTES).
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # The most a GraphQL operation may cost (env MENTORLOG_MAX_QUERY_COST); None:
    # the API's default, mentorlog.schema.api.MAX_COST (see schema/cost.py).
    max_query_cost: int | None = None
    # /readyz answers 503 while a projection is more events behind than this.
    ready_max_lag: int = 100
    # Log lines as text (the default) or one JSON object per line ("json").
    log_format: str = "text"
    # A line per HTTP request (env MENTORLOG_ACCESS_LOG=on); off by default, since
    # writing it costs a busy server a few percent of its requests per second.
    access_log: bool = False
    # The checkpoint signing key: a file outside the data (default: beside the
    # data dir, <data dir>.checkpoint-key); made on first use, mode 0600.
    checkpoint_key: Path | None = None
    # The name checkpoints are signed as (default: mentorlog/ + the key's hash).
    log_origin: str | None = None
    # Sign a checkpoint once this many events were recorded since the last one,
    # or when this many seconds passed and the log grew.
    checkpoint_every: int = 1000
    checkpoint_interval: float = 3600.0
    # A directory an insider does not control (a mounted share, say): each
    # checkpoint is also written there, as <size>.checkpoint.
    witness_dir: Path | None = None
    # Accept the identity provider's JWTs beside bearer tokens (MENTORLOG_OIDC_*).
    oidc: OidcSettings | None = None
    # The pages' "Sign in with <provider>" (authorization code with PKCE), when
    # MENTORLOG_OIDC_CLIENT_ID is set beside the issuer (MENTORLOG_OIDC_*).
    oidc_client: OidcClient | None = None
    # Webhook deliveries (mentorlog/webhooks.py): seconds between looks for due
    # deliveries (env MENTORLOG_WEBHOOKS_INTERVAL; new ones go as soon as the
    # projections queue them, so this paces retries), each try's timeout in seconds
    # (MENTORLOG_WEBHOOKS_TIMEOUT), tries before a delivery fails and its endpoint
    # is disabled (MENTORLOG_WEBHOOKS_MAX_ATTEMPTS), the first retry's wait in
    # seconds, doubled after each try up to the most (MENTORLOG_WEBHOOKS_BACKOFF,
    # MENTORLOG_WEBHOOKS_MAX_BACKOFF), and the most of an answer read, in bytes
    # (MENTORLOG_WEBHOOKS_MAX_RESPONSE_BYTES). Private receivers: the
    # application's env MENTORLOG_WEBHOOKS_ALLOW_PRIVATE (core/commands/webhooks.py).
    webhooks_interval: float = 1.0
    webhooks_timeout: float = 10.0
    webhooks_max_attempts: int = 8
    webhooks_backoff: float = 1.0
    webhooks_max_backoff: float = 3600.0
    webhooks_max_response_bytes: int = 65536
    # Nudges (mentorlog/nudges.py): seconds between the worker's runs
    # (MENTORLOG_NUDGES_INTERVAL), tries before a nudge fails for good
    # (MENTORLOG_NUDGES_MAX_ATTEMPTS), the first retry's wait in seconds, doubled
    # after each try up to the most (MENTORLOG_NUDGES_BACKOFF,
    # MENTORLOG_NUDGES_MAX_BACKOFF), and after how many seconds a try nobody
    # answered for (its worker stopped) is taken over (MENTORLOG_NUDGES_UNANSWERED).
    nudges_interval: float = 300.0
    nudges_max_attempts: int = 5
    nudges_backoff: float = 300.0
    nudges_max_backoff: float = 21600.0
    nudges_unanswered: int = 600
    # The email notifier's server (MENTORLOG_SMTP_HOST, _PORT, _TLS: none,
    # starttls or tls; _USER, _PASSWORD, _FROM); None without a host.
    smtp: SmtpSettings | None = None

    @property
    def checkpoint_key_path(self) -> Path:
        """Where the checkpoint signing key lives."""
        if self.checkpoint_key is not None:
            return self.checkpoint_key
        data = self.data_dir.resolve()
        return data.parent / f"{data.name}.checkpoint-key"

    @property
    def events_db(self) -> Path:
        """The SQLite file of the event store."""
        return self.data_dir / "events.db"

    @property
    def views_db(self) -> Path:
        """The SQLite file of the read models and their tracking positions."""
        return self.data_dir / "views.db"

    @property
    def store_name(self) -> str:
        """Where the data lives, for messages (never shows a password)."""
        pg = self.postgres
        if pg is None:
            return str(self.data_dir)
        return f"postgresql://{pg.host}:{pg.port}/{pg.dbname} (schema {pg.schema})"

    @property
    def postgres(self) -> PostgresURL | None:
        """The parsed database URL, or None for the SQLite default."""
        if not self.database_url:
            return None
        return PostgresURL.parse(self.database_url, self.database_schema)

    @classmethod
    def from_env(
        cls,
        data_dir: str | os.PathLike[str] | None = None,
        database_url: str | None = None,
    ) -> Settings:
        """Build settings from an explicit data dir (or URL) or the environment."""
        env = os.environ
        disabled = tuple(
            name.strip()
            for name in env.get("MENTORLOG_DISABLE_PLUGINS", "").split(",")
            if name.strip()
        )
        return cls(
            data_dir=Path(data_dir or env.get("MENTORLOG_DATA") or DEFAULT_DATA_DIR),
            disabled_plugins=disabled,
            skip_failing_plugins=env.get("MENTORLOG_SKIP_FAILING_PLUGINS", "").lower()
            in ("1", "true", "yes"),
            database_url=database_url or env.get("MENTORLOG_DATABASE_URL") or None,
            database_schema=env.get("MENTORLOG_DATABASE_SCHEMA") or None,
            page_size=_positive("MENTORLOG_PAGE_SIZE", 500),
            introspection=_switch(env.get("MENTORLOG_INTROSPECTION")),
            graphiql=_switch(env.get("MENTORLOG_GRAPHIQL")),
            checkpoint_key=_path(env.get("MENTORLOG_CHECKPOINT_KEY")),
            log_origin=env.get("MENTORLOG_LOG_ORIGIN") or None,
            checkpoint_every=_positive("MENTORLOG_CHECKPOINT_EVERY", 1000),
            checkpoint_interval=float(_positive("MENTORLOG_CHECKPOINT_INTERVAL", 3600)),
            witness_dir=_path(env.get("MENTORLOG_WITNESS_DIR")),
            max_body_bytes=_positive(
                "MENTORLOG_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES
            ),
            # 0 stands for unset here: the variable itself must be positive.
            max_query_cost=_positive("MENTORLOG_MAX_QUERY_COST", 0) or None,
            ready_max_lag=_positive("MENTORLOG_READY_MAX_LAG", 100),
            log_format=_log_format(env.get("MENTORLOG_LOG_FORMAT")),
            access_log=_switch(env.get("MENTORLOG_ACCESS_LOG"), default=False),
            oidc=oidc_from_env(),
            oidc_client=oidc_client_from_env(),
            webhooks_interval=_seconds("MENTORLOG_WEBHOOKS_INTERVAL", 1.0),
            webhooks_timeout=_seconds("MENTORLOG_WEBHOOKS_TIMEOUT", 10.0),
            webhooks_max_attempts=_positive("MENTORLOG_WEBHOOKS_MAX_ATTEMPTS", 8),
            webhooks_backoff=_seconds("MENTORLOG_WEBHOOKS_BACKOFF", 1.0),
            webhooks_max_backoff=_seconds("MENTORLOG_WEBHOOKS_MAX_BACKOFF", 3600.0),
            webhooks_max_response_bytes=_positive(
                "MENTORLOG_WEBHOOKS_MAX_RESPONSE_BYTES", 65536
            ),
            nudges_interval=_seconds("MENTORLOG_NUDGES_INTERVAL", 300.0),
            nudges_max_attempts=_positive("MENTORLOG_NUDGES_MAX_ATTEMPTS", 5),
            nudges_backoff=_seconds("MENTORLOG_NUDGES_BACKOFF", 300.0),
            nudges_max_backoff=_seconds("MENTORLOG_NUDGES_MAX_BACKOFF", 21600.0),
            nudges_unanswered=_positive("MENTORLOG_NUDGES_UNANSWERED", 600),
            smtp=smtp_from_env(),
        )


SMTP_TLS = ("none", "starttls", "tls")
SMTP_PORTS = {"none": 25, "starttls": 587, "tls": 465}


def smtp_from_env() -> SmtpSettings | None:
    """The SMTP server email nudges go to, when MENTORLOG_SMTP_HOST is set."""
    env = os.environ
    host = env.get("MENTORLOG_SMTP_HOST", "").strip()
    if not host:
        return None
    tls = env.get("MENTORLOG_SMTP_TLS", "").strip().lower() or "starttls"
    if tls not in SMTP_TLS:
        raise ValueError(
            f"MENTORLOG_SMTP_TLS must be none, starttls or tls, not '{tls}'"
        )
    sender = env.get("MENTORLOG_SMTP_FROM", "").strip()
    if not sender or "\n" in sender or "\r" in sender:
        raise ValueError("MENTORLOG_SMTP_FROM must name the sender, e.g. a@b.org")
    return SmtpSettings(
        host=host,
        port=_positive("MENTORLOG_SMTP_PORT", SMTP_PORTS[tls]),
        tls=tls,  # type: ignore[arg-type]
        sender=sender,
        user=env.get("MENTORLOG_SMTP_USER", "").strip(),
        password=env.get("MENTORLOG_SMTP_PASSWORD", ""),
    )


def oidc_from_env() -> OidcSettings | None:
    """The identity provider's settings, when MENTORLOG_OIDC_ISSUER is set."""
    env = os.environ
    issuer = env.get("MENTORLOG_OIDC_ISSUER", "").strip()
    if not issuer:
        return None
    algorithms = tuple(
        name.strip()
        for name in env.get("MENTORLOG_OIDC_ALGORITHMS", ",".join(ASYMMETRIC)).split(
            ","
        )
        if name.strip()
    )
    return OidcSettings(
        issuer=issuer,
        audience=env.get("MENTORLOG_OIDC_AUDIENCE", "").strip(),
        jwks_url=env.get("MENTORLOG_OIDC_JWKS_URL", "").strip() or None,
        algorithms=algorithms,
        leeway=_positive("MENTORLOG_OIDC_LEEWAY", 30),
        timeout=float(_positive("MENTORLOG_OIDC_TIMEOUT", 3)),
        min_refresh=float(_positive("MENTORLOG_OIDC_JWKS_REFRESH", 30)),
    )


def oidc_client_from_env() -> OidcClient | None:
    """The web sign-in's client, when MENTORLOG_OIDC_CLIENT_ID is set."""
    env = os.environ
    client_id = env.get("MENTORLOG_OIDC_CLIENT_ID", "").strip()
    if not client_id:
        return None
    if not env.get("MENTORLOG_OIDC_ISSUER", "").strip():
        raise ValueError("MENTORLOG_OIDC_CLIENT_ID needs MENTORLOG_OIDC_ISSUER")
    state_key = env.get("MENTORLOG_OIDC_STATE_KEY", "").strip()
    if state_key and len(state_key) < 32:
        raise ValueError("MENTORLOG_OIDC_STATE_KEY must be at least 32 characters")
    return OidcClient(
        client_id=client_id,
        client_secret=env.get("MENTORLOG_OIDC_CLIENT_SECRET", "").strip() or None,
        redirect_uri=env.get("MENTORLOG_OIDC_REDIRECT_URI", "").strip() or None,
        scope=env.get("MENTORLOG_OIDC_SCOPE", "").strip() or "openid email",
        resource=env.get("MENTORLOG_OIDC_RESOURCE", "").strip() or None,
        name=env.get("MENTORLOG_OIDC_NAME", "").strip() or "your organisation",
        state_key=state_key.encode() if state_key else None,
    )


LOG_FORMATS = ("text", "json")


def _log_format(value: str | None) -> str:
    """MENTORLOG_LOG_FORMAT: text (the default) or json."""
    chosen = (value or "text").strip().lower() or "text"
    if chosen not in LOG_FORMATS:
        raise ValueError(f"MENTORLOG_LOG_FORMAT must be text or json, not '{value}'")
    return chosen


def _switch(value: str | None, default: bool = True) -> bool:
    """An on/off environment variable: 0, false, no or off turn it off."""
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def _path(value: str | None) -> Path | None:
    """A path from an environment variable, or None when unset or blank."""
    return Path(value.strip()) if value and value.strip() else None


def _positive(name: str, default: int) -> int:
    """A positive whole number from an environment variable, or the default."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    problem = f"{name} must be a positive whole number, not '{value}'"
    try:
        number = int(value)
    except ValueError:
        raise ValueError(problem) from None
    if number < 1:
        raise ValueError(problem)
    return number


def _seconds(name: str, default: float) -> float:
    """A positive number of seconds from an environment variable, or the default."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not number > 0:
        raise ValueError(f"{name} must be a positive number of seconds, not '{value}'")
    return number
