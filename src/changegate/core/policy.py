"""The policy model: ``changegate.toml`` as typed, validated data.

Every section mirrors a clause of the written change-management policy (the
clause is cited in each class docstring), so that a policy owner can read the
file against the document and an auditor can see which setting enforces what.
Unknown keys are errors: a misspelt setting silently ignored would be a
control that does not exist.
"""

from __future__ import annotations

import calendar
import fnmatch
import re
from datetime import date
from typing import Annotated, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]
Relevance = Literal["security", "schema"]
Reason = Literal["incident", "critical-vulnerability", "customer-outage"]
GateName = Literal[
    "review", "adversarial_review", "lint", "types", "secrets", "migrations", "tests"
]
ALL_GATES: tuple[str, ...] = (
    "review",
    "adversarial_review",
    "lint",
    "types",
    "secrets",
    "migrations",
    "tests",
)
_WHEN: tuple[Relevance, ...] = ("security", "schema")
_REASONS: tuple[Reason, ...] = ("incident", "critical-vulnerability", "customer-outage")
_MAY_SKIP: tuple[GateName, ...] = ("review", "adversarial_review", "lint", "types", "tests")
_SSH_KEY = re.compile(
    r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com)"
    r" [A-Za-z0-9+/]+=*( .*)?$"
)
_ENV_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicyMeta(Strict):
    """Header: which document this file encodes and when it was last reviewed (§6)."""

    name: str = "Change Management Policy"
    document: str | None = None
    last_reviewed: date
    review_interval_months: int = Field(default=12, ge=1, le=12)


class Reviewer(Strict):
    """§6 Reviewer — "a second engineer with relevant context for the change"."""

    email: Email
    name: str | None = None
    ssh_key: str | None = None  # signs approvals (``ssh-keygen -Y sign``)
    github: str | None = None  # GitHub login, to import pull-request reviews
    areas: list[str] = Field(default_factory=list)  # path globs of relevant context

    @field_validator("ssh_key")
    @classmethod
    def _ssh_key(cls, v: str | None) -> str | None:
        if v is not None and not _SSH_KEY.match(v.strip()):
            raise ValueError(
                "ssh_key must be an OpenSSH public key line such as 'ssh-ed25519 AAAA... name'"
            )
        return v


class Roles(Strict):
    """§6 Roles and responsibilities."""

    policy_owner: Email
    reviewers: list[Reviewer] = Field(default_factory=list)
    deployers: list[Email] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_reviewers(self) -> Roles:
        seen: set[str] = set()
        for r in self.reviewers:
            if r.email.lower() in seen:
                raise ValueError(f"reviewer {r.email} is listed twice")
            seen.add(r.email.lower())
        return self


def _check_globs(globs: list[str]) -> list[str]:
    for g in globs:
        if not g or g.startswith("/"):
            raise ValueError(f"glob {g!r} must be a non-empty path relative to the repository root")
        try:
            re.compile(fnmatch.translate(g))
        except re.error as exc:  # pragma: no cover - fnmatch escapes nearly everything
            raise ValueError(f"glob {g!r} is invalid: {exc}") from exc
    return globs


class Classification(Strict):
    """§1 — which changes are trivial, security-relevant or schema-relevant."""

    trivial_paths: list[str] = Field(default_factory=list)
    trivial_max_lines: int = Field(default=10, ge=0)
    security_paths: list[str] = Field(default_factory=list)
    schema_paths: list[str] = Field(default_factory=list)
    # §6 "on any material change to the deployment toolchain": a change touching these
    # paths (deploy procedure, process manager, CI) calls for a policy review.
    toolchain_paths: list[str] = Field(
        default_factory=lambda: [
            ".github/workflows/**",
            ".gitlab-ci.yml",
            "deploy/**",
            "Procfile",
            "**/supervisord.conf",
            "**/gunicorn.conf.py",
            "**/*.service",
        ]
    )

    @field_validator("trivial_paths", "security_paths", "schema_paths", "toolchain_paths")
    @classmethod
    def _globs(cls, v: list[str]) -> list[str]:
        return _check_globs(v)


class ReviewGate(Strict):
    """§1 Code review — a second party reviews every non-trivial change before merge."""

    enabled: bool = True
    min_approvals: int = Field(default=1, ge=1, le=10)
    dismiss_on_new_diff: bool = True
    accept_github_reviews: bool = True  # `review import --github`: GitHub attests the reviewer


class ModelReviewer(Strict):
    """An independent model used for the adversarial pass."""

    command: list[str] | None = None  # diff on stdin, JSON findings on stdout
    endpoint: str | None = None  # OpenAI-compatible chat-completions URL
    model: str | None = None
    api_key_env: str | None = None
    timeout_seconds: float = Field(default=120, gt=0)

    @model_validator(mode="after")
    def _one_kind(self) -> ModelReviewer:
        if bool(self.command) == bool(self.endpoint):
            raise ValueError("set exactly one of command or endpoint")
        if self.endpoint and not self.model:
            raise ValueError("an endpoint needs a model name")
        return self


class AdversarialGate(Strict):
    """§1 Adversarial review — for security- or schema-relevant changes."""

    enabled: bool = True
    when: list[Relevance] = Field(default_factory=lambda: list(_WHEN))
    model: ModelReviewer | None = None


class CommandGate(Strict):
    """A gate that runs a command (lint, types, tests) in a clean worktree of HEAD."""

    enabled: bool = True
    command: list[str] = Field(default_factory=list)
    timeout_seconds: int = Field(default=900, ge=1)

    @model_validator(mode="after")
    def _command_when_enabled(self) -> CommandGate:
        if self.enabled and not self.command:
            raise ValueError("an enabled gate needs a command (a list of arguments)")
        return self


class Suite(Strict):
    """One test suite and the paths that make it relevant."""

    name: str
    command: list[str] = Field(min_length=1)
    paths: list[str] = Field(default_factory=lambda: ["**"])
    timeout_seconds: int = Field(default=1800, ge=1)
    junit: str | None = None  # where the command writes JUnit XML, for the test counts

    @field_validator("paths")
    @classmethod
    def _globs(cls, v: list[str]) -> list[str]:
        return _check_globs(v)


class TestsGate(Strict):
    """§1 Test suites — relevant suites run on every change; failures block."""

    enabled: bool = True
    suites: list[Suite] = Field(default_factory=list)


class SecretsGate(Strict):
    """§1 Pre-commit secret scanning — detected secrets block until rotated and purged."""

    enabled: bool = True
    gitleaks_config: str | None = ".gitleaks.toml"


class MigrationSet(Strict):
    path: str
    format: Literal["auto", "golang-migrate", "flyway", "dbmate", "diesel", "plain", "alembic"] = (
        "auto"
    )


class MigrationsGate(Strict):
    """§1 Migration safety — ordering, destructive operations, rollback instructions."""

    enabled: bool = True
    sets: list[MigrationSet] = Field(default_factory=list)
    hazards_block: bool = False  # lock/rewrite hazards: warnings unless set


class Gates(Strict):
    review: ReviewGate = Field(default_factory=ReviewGate)
    adversarial_review: AdversarialGate = Field(default_factory=AdversarialGate)
    lint: CommandGate = Field(default_factory=lambda: CommandGate(enabled=False))
    types: CommandGate = Field(default_factory=lambda: CommandGate(enabled=False))
    secrets: SecretsGate = Field(default_factory=SecretsGate)
    migrations: MigrationsGate = Field(default_factory=MigrationsGate)
    tests: TestsGate = Field(default_factory=TestsGate)


SmokeKind = Literal["http", "auth", "health", "heartbeat", "command"]
SmokePhase = Literal["pre-deploy", "post-deploy"]
SMOKE_PHASES: tuple[SmokePhase, ...] = ("pre-deploy", "post-deploy")


class JsonAssertion(Strict):
    """One assertion on a JSON answer: the value at ``path`` ``equals`` a value,
    ``exists`` (or, with ``exists = false``, is absent), or is ``one_of`` a list.

    ``path`` is a small JSONPath subset: ``$`` then ``.key``, ``["any key"]`` or
    ``[index]`` steps (``$.checks.db[0].status``); no wildcards or filters, so a
    path always names one value and a failure can say which.
    """

    PATH: ClassVar[re.Pattern[str]] = re.compile(
        r'^\$(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[-?\d+\]|\["[^"\\]*"\])*$'
    )

    path: str
    equals: JsonValue = None  # TOML has no null, so None means "not set"
    exists: bool | None = None
    one_of: list[JsonValue] | None = None

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not cls.PATH.match(v):
            raise ValueError(
                f"JSON path {v!r} is not in the supported subset: $ followed by .key, "
                '["key"] or [index] steps, e.g. "$.checks.db[0].status"'
            )
        return v

    @model_validator(mode="after")
    def _one_test(self) -> JsonAssertion:
        chosen = [k for k in ("equals", "exists", "one_of") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError(
                f"JSON assertion on {self.path}: set exactly one of equals, exists, one_of"
            )
        return self


class SmokeCheck(Strict):
    """§2 "Post-deploy smoke tests verify core paths (authentication, integration
    health, scheduled job liveness)": one check of one core path.

    One flat table per check, chosen by ``kind``; each kind takes only its own
    keys (a key another kind uses is an error, not silently ignored), so a file
    reads the same way it runs. Every kind retries: ``retries`` more attempts
    after a failure, waiting ``backoff_seconds`` doubled each time up to
    ``backoff_max_seconds`` — a single 503 during a rolling reload is not an
    outage, a persistent one is. Credentials are never written here: the
    ``*_env`` keys name environment variables that hold them.
    """

    COMMON: ClassVar[frozenset[str]] = frozenset(
        {
            "name",
            "kind",
            "phases",
            "retries",
            "backoff_seconds",
            "backoff_max_seconds",
            "timeout_seconds",
        }
    )
    _CREDENTIAL: ClassVar[frozenset[str]] = frozenset(
        {"credential_env", "credential_scheme", "credential_header"}
    )
    _REQUEST: ClassVar[frozenset[str]] = frozenset(
        {"url", "method", "headers", "expect_status", "body_contains", "expect_json"}
    )
    KEYS: ClassVar[dict[str, frozenset[str]]] = {
        "http": _REQUEST | _CREDENTIAL,
        "auth": _REQUEST | _CREDENTIAL | {"refuse_status"},
        "health": frozenset({"url", "headers", "expect_status", "passing", "require_components"})
        | _CREDENTIAL,
        "heartbeat": frozenset(
            {
                "max_age_seconds",
                "path",
                "timestamp_from",
                "url",
                "headers",
                "json_path",
                "database_url_env",
                "query",
            }
        )
        | _CREDENTIAL,
        "command": frozenset({"command", "expect_exit", "stdout_contains"}),
    }
    _ENV_VAR: ClassVar[re.Pattern[str]] = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

    name: str = Field(min_length=1)
    kind: SmokeKind
    phases: list[SmokePhase] = Field(default_factory=lambda: list(SMOKE_PHASES))
    retries: int = Field(default=2, ge=0, le=20)
    backoff_seconds: float = Field(default=1.0, ge=0)
    backoff_max_seconds: float = Field(default=10.0, ge=0)
    timeout_seconds: float = Field(default=10, gt=0)
    # http, auth, health; heartbeat from an endpoint
    url: str | None = None
    method: str = Field(default="GET", pattern=r"^[A-Z]+$")
    headers: dict[str, str] = Field(default_factory=dict)
    expect_status: int | list[int] | None = None  # None: 200
    body_contains: str | None = None
    expect_json: list[JsonAssertion] = Field(default_factory=list)
    credential_env: str | None = None
    credential_scheme: Literal["bearer", "basic", "raw"] = "bearer"
    credential_header: str = "Authorization"
    refuse_status: list[int] = Field(default_factory=lambda: [401, 403])  # auth
    passing: list[str] = Field(default_factory=lambda: ["pass", "ok", "up"])  # health
    require_components: list[str] = Field(default_factory=list)  # health
    # heartbeat
    max_age_seconds: float | None = Field(default=None, gt=0)
    path: str | None = None
    timestamp_from: Literal["mtime", "content"] = "mtime"
    json_path: str | None = None
    database_url_env: str | None = None
    query: str | None = None
    # command
    command: list[str] | None = None
    expect_exit: int = 0
    stdout_contains: str | None = None

    def statuses(self) -> list[int]:
        """The accepted HTTP statuses (``expect_status`` as a list; 200 when unset)."""
        if self.expect_status is None:
            return [200]
        return [self.expect_status] if isinstance(self.expect_status, int) else self.expect_status

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"url {v!r} must be an absolute http:// or https:// URL")
        if v is not None and "@" in v.split("/")[2]:
            raise ValueError(
                "url must not carry credentials (user:password@host); name the variable "
                "that holds them in credential_env"
            )
        return v

    @field_validator("credential_env", "database_url_env")
    @classmethod
    def _env_name(cls, v: str | None) -> str | None:
        if v is not None and not cls._ENV_VAR.match(v):
            # The value is not echoed: someone may have pasted the secret itself.
            raise ValueError(
                "must name an environment variable (letters, digits, _), e.g. SMOKE_TOKEN; "
                "never the credential itself"
            )
        return v

    @field_validator("expect_status", "refuse_status")
    @classmethod
    def _status(cls, v: int | list[int] | None) -> int | list[int] | None:
        codes = [v] if isinstance(v, int) else (v or [])
        if v is not None and not codes:
            raise ValueError("list at least one HTTP status")
        for code in codes:
            if not 100 <= code <= 599:
                raise ValueError(f"{code} is not an HTTP status (100-599)")
        return v

    @field_validator("json_path")
    @classmethod
    def _json_path(cls, v: str | None) -> str | None:
        if v is not None and not JsonAssertion.PATH.match(v):
            raise ValueError(
                f"JSON path {v!r} is not in the supported subset: $ followed by .key, "
                '["key"] or [index] steps, e.g. "$.jobs.nightly.last_run"'
            )
        return v

    @model_validator(mode="after")
    def _fits_kind(self) -> SmokeCheck:
        allowed = self.KEYS[self.kind]
        foreign = sorted(self.model_fields_set - self.COMMON - allowed)
        label = f"smoke check {self.name!r} (kind {self.kind!r})"
        if foreign:
            raise ValueError(
                f"{label} does not take {', '.join(foreign)}; it takes {', '.join(sorted(allowed))}"
            )
        if self.credential_env is None and (self.model_fields_set & self._CREDENTIAL):
            raise ValueError(f"{label}: credential_scheme/credential_header need credential_env")
        if self.backoff_max_seconds < self.backoff_seconds:
            raise ValueError(f"{label}: backoff_max_seconds is below backoff_seconds")
        if self.kind in ("http", "auth", "health") and not self.url:
            raise ValueError(f"{label} needs a url")
        if self.kind == "auth":
            if not self.credential_env:
                raise ValueError(
                    f"{label} needs credential_env: the environment variable holding the "
                    "smoke credential (a bearer token, or user:password with "
                    'credential_scheme = "basic")'
                )
            bad = [c for c in self.refuse_status if 200 <= c < 300 or c == 404]
            if bad:
                raise ValueError(
                    f"{label}: refuse_status may not include {bad}: a 2xx means the endpoint "
                    "is not protected and a 404 that it is not there"
                )
        if self.kind == "heartbeat":
            self._heartbeat_source(label)
        if self.kind == "command" and not self.command:
            raise ValueError(f"{label} needs command: a list of arguments, e.g. ['bin/check']")
        return self

    def _heartbeat_source(self, label: str) -> None:
        if self.max_age_seconds is None:
            raise ValueError(f"{label} needs max_age_seconds: how old the last run may be")
        sources = [
            s
            for s, on in (
                ("path", self.path),
                ("url", self.url),
                ("database_url_env", self.database_url_env),
            )
            if on
        ]
        if len(sources) != 1:
            raise ValueError(
                f"{label} needs exactly one source of the last run time: path (a file), url "
                f"(an endpoint, with json_path) or database_url_env (with query); got "
                f"{', '.join(sources) or 'none'}"
            )
        if bool(self.database_url_env) != bool(self.query):
            raise ValueError(
                f"{label}: database_url_env and query go together (a query returning one timestamp)"
            )
        if self.json_path and not self.url:
            raise ValueError(f"{label}: json_path applies to a url source only")
        if "timestamp_from" in self.model_fields_set and not self.path:
            raise ValueError(f"{label}: timestamp_from applies to a path source only")


class ProcessManager(Strict):
    """§2 "the supervised process manager's rolling reload".

    ``gunicorn``/``uvicorn``: signal the master found through ``pidfile``;
    ``supervisord``: ``supervisorctl -c supervisor_config signal HUP program``
    (the program being a gunicorn or uvicorn master); ``systemd``/``command``:
    run ``reload_command`` (systemd defaults to ``systemctl reload program``).
    In every case the reload waits (up to ``timeout_seconds``) until the old
    workers are gone and ``ready_url`` answers, never sleeping blindly. What
    each kind cannot work without is required here, so a policy that could
    never reload fails when it is loaded rather than in the middle of a deploy.
    """

    kind: Literal["supervisord", "systemd", "gunicorn", "uvicorn", "command"]
    pidfile: str | None = None  # gunicorn/uvicorn master (relative to the deploy root)
    program: str | None = None  # supervisord program / systemd unit
    supervisor_config: str | None = None  # supervisord.conf for supervisorctl -c
    reload_command: list[str] | None = Field(default=None, min_length=1)  # command/systemd
    ready_url: str | None = None  # polled after the reload until it answers 2xx
    timeout_seconds: float = Field(default=60, gt=0)
    # Workers expected after a signalled reload; None: as many as before it.
    workers: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _needs(self) -> ProcessManager:
        if self.kind in ("gunicorn", "uvicorn") and not self.pidfile:
            raise ValueError(f"process_manager kind {self.kind!r} needs pidfile")
        if self.kind == "supervisord" and not self.program:
            raise ValueError("process_manager kind 'supervisord' needs program")
        if self.kind == "command" and not self.reload_command:
            raise ValueError("process_manager kind 'command' needs reload_command")
        if self.kind == "systemd" and not (self.program or self.reload_command):
            raise ValueError("process_manager kind 'systemd' needs program or reload_command")
        return self


DeployStep = Literal[
    "verify", "migrate", "smoke-previous", "config", "switch", "reload", "smoke", "record"
]
DEFAULT_PROCEDURE: list[DeployStep] = [
    "verify",
    "migrate",
    "smoke-previous",
    "config",
    "switch",
    "reload",
    "smoke",
    "record",
]


ConfigType = Literal["string", "int", "float", "bool", "url", "email"]
_CONFIG_KEY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DEFAULT_CONFIG_KEY_FILE = ".changegate/config.key"


class ConfigKey(Strict):
    """One declared configuration key: the validation that runs before any apply, so a
    typo (a wrong type, a value outside the allowed set, a missing key) never reaches
    production."""

    type: ConfigType = "string"
    required: bool = False
    secret: bool = False  # always stored encrypted and shown as a hash, even without --secret
    allowed: list[str] | None = None  # the only values accepted (compared as text)
    pattern: str | None = None  # a full-match regular expression for the text
    min: float | None = None  # int/float bounds, inclusive
    max: float | None = None
    description: str | None = None

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"pattern {v!r} is not a regular expression: {exc}") from exc
        return v

    @model_validator(mode="after")
    def _bounds(self) -> ConfigKey:
        if (self.min is not None or self.max is not None) and self.type not in ("int", "float"):
            raise ValueError("min/max apply to type 'int' or 'float' only")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        return self


class ConfigSpec(Strict):
    """§2 "Configuration changes ... are applied via the same change management track
    as code" — where the environment's applied configuration is rendered, the key that
    encrypts its secrets at rest, and the declared keys every version must satisfy."""

    render_to: str  # the env file the process manager reads (relative to the deploy root)
    # The encryption key (Fernet, one key per line; the first encrypts, the others
    # still decrypt during a rotation): a file (mode 0600, never committed) or an
    # environment variable holding the same text. Neither given: DEFAULT_CONFIG_KEY_FILE.
    key_file: str | None = None
    key_env: str | None = None
    keys: dict[str, ConfigKey] = Field(default_factory=dict)
    # With keys declared, a key not declared is rejected (a misspelt name is a typo
    # that would reach production) unless this is true.
    allow_undeclared: bool = False

    @field_validator("keys")
    @classmethod
    def _key_names(cls, v: dict[str, ConfigKey]) -> dict[str, ConfigKey]:
        for name in v:
            if not _CONFIG_KEY_NAME.match(name):
                raise ValueError(
                    f"config key {name!r} must be letters, digits and _ (not starting with a digit)"
                )
        return v

    @model_validator(mode="after")
    def _one_key_source(self) -> ConfigSpec:
        if self.key_file and self.key_env:
            raise ValueError("set at most one of key_file or key_env")
        return self


class Environment(Strict):
    """§2 Deployment — one environment and its documented procedure."""

    procedure: list[DeployStep] = Field(default_factory=lambda: list(DEFAULT_PROCEDURE))
    deployers: list[Email] | None = None  # None: roles.deployers
    # Where releases live: releases/<tag>/ beside an atomically switched `current`
    # symlink (relative paths are relative to the repository root).
    deploy_root: str | None = None
    keep_releases: int = Field(default=5, ge=2)
    database_url_env: str | None = None
    migrations: list[str] | None = None  # set paths to apply; None: every gates.migrations set
    process_manager: ProcessManager | None = None
    smoke: list[SmokeCheck] = Field(default_factory=list)
    auto_rollback: bool = True
    config: ConfigSpec | None = None
    # Shell commands run before a step (Kamal-style hooks: notify, page, check a
    # freeze calendar); a failing hook fails that step.
    hooks: dict[DeployStep, list[str]] = Field(default_factory=dict)

    @field_validator("procedure")
    @classmethod
    def _procedure(cls, v: list[DeployStep]) -> list[DeployStep]:
        if "verify" not in v or "record" not in v:
            raise ValueError("a deploy procedure must include 'verify' and 'record'")
        if "migrate" in v and "switch" in v and v.index("migrate") > v.index("switch"):
            raise ValueError("'migrate' must come before 'switch' (schema changes apply first)")
        return v


class Emergency(Strict):
    """§3 Emergency change."""

    severities: list[str] = Field(default_factory=lambda: ["SEV1", "SEV2"])
    reasons: list[Reason] = Field(default_factory=lambda: list(_REASONS))
    may_skip: list[GateName] = Field(default_factory=lambda: list(_MAY_SKIP))
    retro_review_business_days: int = Field(default=1, ge=1, le=10)
    calendar_country: str = "US"
    calendar_subdivision: str | None = None
    timezone: str = "UTC"
    # Overdue retroactive reviews go to a Slack-compatible incoming webhook
    # (`changegate emergency notify`). The URL is a secret: the policy names the
    # environment variable holding it, never the URL itself.
    webhook_url_env: str | None = None
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {v!r}; use an IANA name such as 'Europe/Paris'"
            ) from exc
        return v

    @field_validator("may_skip")
    @classmethod
    def _secrets_never(cls, v: list[str]) -> list[str]:
        if "secrets" in v:
            raise ValueError(
                "secret scanning may never be skipped (a leaked credential is not remediated "
                "faster by shipping it); remove 'secrets'"
            )
        return v


class Audit(Strict):
    """§5 Audit — the ledger, its key and where checkpoints are kept."""

    ledger_key: str = ".changegate/ledger.key"
    ledger_public_key: str | None = None
    checkpoint_dir: str = ".changegate/checkpoints"
    checkpoint_git_ref: str | None = "refs/changegate/checkpoints"

    @field_validator("checkpoint_git_ref")
    @classmethod
    def _ref(cls, v: str | None) -> str | None:
        if v is not None and (not v.startswith("refs/") or " " in v or ".." in v):
            raise ValueError(
                "checkpoint_git_ref must be a ref name under refs/, e.g. "
                "'refs/changegate/checkpoints'"
            )
        return v


class Policy(Strict):
    """The whole ``changegate.toml``."""

    version: Literal[1] = 1
    policy: PolicyMeta
    roles: Roles
    classification: Classification = Field(default_factory=Classification)
    gates: Gates = Field(default_factory=Gates)
    environments: dict[str, Environment] = Field(default_factory=dict)
    emergency: Emergency = Field(default_factory=Emergency)
    audit: Audit = Field(default_factory=Audit)

    @field_validator("environments")
    @classmethod
    def _env_names(cls, v: dict[str, Environment]) -> dict[str, Environment]:
        for name in v:
            if not _ENV_NAME.match(name):
                raise ValueError(
                    f"environment name {name!r} must be lowercase letters, digits, - or _"
                )
        return v

    @model_validator(mode="after")
    def _cross_checks(self) -> Policy:
        if self.gates.review.enabled and not self.roles.reviewers:
            raise ValueError(
                "gates.review is enabled but roles.reviewers is empty: list at least one "
                "[[roles.reviewers]]"
            )
        return self

    def next_review_due(self) -> date:
        """§6 "reviewed at least once per calendar year": interval from the last review."""
        last = self.policy.last_reviewed
        months = last.month - 1 + self.policy.review_interval_months
        year, month = last.year + months // 12, months % 12 + 1
        due = date(year, month, min(last.day, calendar.monthrange(year, month)[1]))
        # "at least once per calendar year": never later than the end of the next year.
        return min(due, date(last.year + 1, 12, 31))

    def reviewer(self, email: str) -> Reviewer | None:
        for r in self.roles.reviewers:
            if r.email.lower() == email.lower():
                return r
        return None
