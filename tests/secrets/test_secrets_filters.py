"""The false-positive filters named in the issue, one family per test."""

from __future__ import annotations

import base64
import random

import pytest
from secretgen import password, rand, uuid

from changegate.secrets.engine import Scanner

RNG = random.Random(5)
H40 = rand(RNG, "h", 40)
B64 = rand(RNG, "b", 86)


@pytest.mark.parametrize(
    "line",
    [
        # placeholders and repeated characters
        'api_key = "xxxxxxxxxxxxxxxxxxxxxxxx"',
        "password: '************'",
        'token = "0000000000000000000000000"',
        'client_secret = "your-client-secret-here"',
        'SECRET_KEY = "changeme-in-production"',
        'api_token = "abcdefghijklmnop1234567890"',
        # templating
        "password: ${DB_PASSWORD}",
        'password: "{{ .Values.password }}"',
        "api_key = <your-api-key>",
        "secret_key = #{SECRET_KEY_BASE}",
        "token: '%(token)s'",
        # environment and secret-manager references
        "password = os.environ['DB_PASSWORD']",
        "const token = process.env.GITHUB_TOKEN;",
        "auth_token: ${{ secrets.DEPLOY_TOKEN }}",
        "db_password: vault:secret/data/db#password",
        "api_key: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/api-AbCdEf",
        "password: op://Engineering/Postgres/password",
        "client_secret = settings.OAUTH_CLIENT_SECRET",
        "token = get_token(request)",
        "SECRET_KEY=DJANGO_SECRET_KEY",
        # hashes, integrity, commit SHAs, UUIDs
        f'"integrity": "sha512-{B64}=="',
        f"password_hash = '$2b$12${rand(RNG, 'b', 53)}'",
        f"token_sha256 = '{rand(RNG, 'h', 64)}'",
        f"commit_token_checksum: {H40}",
        f"session_id = '{uuid(RNG)}'",
        f"api_key_id = '{uuid(RNG)}'",
        f"secret = '{uuid(RNG)}'",
        # public keys and certificates
        f"public_key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{rand(RNG, 'b', 43)}'",
        f"cert_secret_pem = 'MIIC{rand(RNG, 'b', 60)}'",
        "-----BEGIN PUBLIC KEY-----\n" + rand(RNG, "b", 64) + "\n-----END PUBLIC KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
        # regex sources
        r"token_regex = r'ghp_[A-Za-z0-9]{36}'",
        r"password_pattern = '^(?=.*\d)(?=.*[a-z]).{8,}$'",
        # well-known documentation examples
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        # URIs with default or templated credentials
        "postgres://postgres:postgres@localhost:5432/app",
        "amqp://guest:guest@rabbitmq:5672/",
        "mysql://root:${MYSQL_ROOT_PASSWORD}@db/app",
        "https://user:password@example.com/private",
        # identifiers, paths, words
        "password_field = 'password_confirmation'",
        "secret_file = '/run/secrets/db_password.txt'",
        "token_endpoint = 'https://login.example.net/oauth2/v2.0/token'",
        "auth = 'BasicAuthenticationMiddleware'",
        "PASSWORD_MIN_LENGTH = 12",
    ],
)
def test_look_alike_is_not_flagged(line: str, scanner: Scanner) -> None:
    assert scanner.scan_text(line + "\n", "src/settings.py") == []


def test_lock_files_are_not_generic_secrets(scanner: Scanner) -> None:
    line = f'secret_token = "{password(RNG, 24)}"\n'
    assert scanner.scan_text(line, "poetry.lock") == []
    assert [f.rule for f in scanner.scan_text(line, "app.py")] == ["generic-secret-assignment"]


@pytest.mark.parametrize(
    "line",
    [
        f'DB_PASSWORD="{password(RNG, 14)}"',
        f"redis://:{rand(RNG, 'a', 24)}@cache.internal:6379",
        f"amqps://svc:{rand(RNG, 'a', 20)}@mq.internal/vhost",
        "Authorization: Basic " + base64.b64encode(f"ci:{rand(RNG, 'a', 16)}".encode()).decode(),
        f'client_secret: "{rand(RNG, "w", 40)}"',
        f"SIGNING_KEY={rand(RNG, 'h', 64)}",
    ],
)
def test_generic_detectors_still_fire(line: str, scanner: Scanner) -> None:
    assert scanner.scan_text(line + "\n", "deploy/app.env") != []


def test_real_code_heavy_in_passwords_and_tokens_is_clean(scanner: Scanner) -> None:
    """The standard library's auth-heavy modules: real code, no secrets."""
    import sysconfig
    from pathlib import Path

    from changegate.secrets.files import scan_paths

    lib = Path(sysconfig.get_paths()["stdlib"])
    paths = [lib / n for n in ("email", "http", "urllib", "logging", "smtplib.py", "imaplib.py",
                               "ftplib.py", "poplib.py", "netrc.py", "getpass.py", "ssl.py",
                               "hmac.py", "secrets.py", "test/test_ssl.py", "test/test_smtplib.py",
                               "test/test_urllib2.py", "test/test_imaplib.py")]  # fmt: skip
    existing = [p for p in paths if p.exists()]
    assert len(existing) >= 10
    result = scan_paths(existing, scanner)
    assert result.files > 50
    assert [(f.path, f.line, f.rule) for f in result.findings] == []
