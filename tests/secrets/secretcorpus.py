"""A held-out corpus: realistic files with leaked credentials and look-alikes.

Values are generated at test time in each provider's format. A line holding
a leak is written as ``Leak(text)``, a line that a naive scanner would flag
but that is not a secret as ``Fake(text)``; anything else is plain context.
Rule examples are deliberately not reused here: these lines are written the
way people really leak (and really do not leak) credentials.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from pathlib import Path

from secretgen import jwt, password, rand, uuid


@dataclass(frozen=True)
class Leak:
    text: str


@dataclass(frozen=True)
class Fake:
    text: str


Line = str | Leak | Fake


def _files(rng: random.Random) -> dict[str, list[Line]]:
    def r(cls: str, n: int) -> str:
        return rand(rng, cls, n)

    def pw(n: int = 18) -> str:
        return password(rng, n)

    def upw(n: int = 20) -> str:  # URI-safe password
        return r("a", n - 2) + rng.choice("-_.~") + r("d", 1)

    basic = base64.b64encode(f"ci-bot:{pw()}".encode()).decode()
    key_body = [r("b", 70) for _ in range(5)] + [r("b", 40) + "=="]
    cert_body = ["MIID" + r("b", 60)] + [r("b", 64) for _ in range(4)]
    jwt_io = (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9l"
        "IiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    )
    return {
        ".env": [
            "# billing service",
            Leak(f"DATABASE_URL=postgres://billing:{upw()}@billing-db.internal:5432/billing"),
            Leak(f"STRIPE_SECRET_KEY=sk_live_{r('a', 24)}"),
            Leak(f"SENDGRID_API_KEY=SG.{r('w', 22)}.{r('w', 43)}"),
            Leak(f"REDIS_URL=redis://:{r('a', 24)}@cache.internal:6379/0"),
            Leak(f"JWT_SECRET={pw(32)}"),
            Fake(f"SENTRY_DSN=https://{r('h', 32)}@o451234.ingest.sentry.io/4505123"),
            Fake("APP_SECRET=${APP_SECRET}"),
            "LOG_LEVEL=debug",
        ],
        ".env.production": [
            Leak(f"MAILGUN_PRIVATE_KEY=key-{r('h', 32)}"),
            Leak(f"MAILCHIMP_API_KEY={r('h', 32)}-us21"),
            Leak(f"ALGOLIA_ADMIN_KEY={r('h', 32)}"),
            Leak(f"DATADOG_API_KEY={r('h', 32)}"),
            Leak(f"LINEAR_API_KEY=lin_api_{r('a', 40)}"),
            Fake("STRIPE_PUBLISHABLE_KEY=pk_live_" + r("a", 24)),
        ],
        "config/settings.py": [
            "import os",
            Leak(f'SECRET_KEY = "{r("a", 20)}!@#{r("a", 20)}$%^"'),
            Leak(f'AWS_ACCESS_KEY_ID = "AKIA{r("U", 16)}"'),
            Leak(f'AWS_SECRET_ACCESS_KEY = "{r("b", 40)}"'),
            Fake('DATABASE_PASSWORD = os.environ["DATABASE_PASSWORD"]'),
            'PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]',
            Fake("AUTH_TOKEN_TTL = 3600"),
            Fake('TOKEN_URL = "https://oauth2.googleapis.com/token"'),
            Fake('SECRET_NAME = "prod/app/db-credentials"'),
        ],
        "src/config.py": [
            Fake('api_key = get_secret("stripe-api-key")'),
            Fake('AUTH_HEADER = "X-Api-Key"'),
            Fake("password_min_length = 12"),
            Fake('csrf_token = request.cookies.get("csrftoken")'),
            Fake(f'request_id = "{uuid(rng)}"'),
        ],
        "deploy/values.yaml": [
            "notifications:",
            Leak(
                f"  slackWebhook: https://hooks.slack.com/services/T{r('u', 9)}/B{r('u', 10)}"
                f"/{r('a', 24)}"
            ),
            "datadog:",
            Leak(f"  apiKey: {r('h', 32)}"),
            "database:",
            Fake('  password: "{{ .Values.db.password }}"'),
            Fake("  existingSecret: app-credentials"),
            Fake(f"image: registry.internal/app@sha256:{r('h', 64)}"),
        ],
        "terraform/main.tf": [
            'provider "aws" {',
            Leak(f'  access_key = "AKIA{r("U", 16)}"'),
            Leak(f'  secret_key = "{r("b", 40)}"'),
            "}",
            'provider "digitalocean" {',
            Leak(f'  token = "dop_v1_{r("h", 64)}"'),
            "}",
            Fake("  password = var.db_password"),
            Fake(f'  kms_key_id = "arn:aws:kms:us-east-1:123456789012:key/{uuid(rng)}"'),
        ],
        "terraform/providers.tf": [
            'provider "cloudflare" {',
            Leak(f'  api_token = "{r("w", 40)}"'),
            "}",
        ],
        "Dockerfile": [
            "FROM node:20-slim",
            Leak(f"ENV NPM_TOKEN=npm_{r('a', 36)}"),
            Leak(f"RUN pip install --index-url https://ci-bot:{upw()}@pypi.internal/simple app"),
            Fake("ARG GITHUB_TOKEN"),
            "RUN --mount=type=secret,id=npmrc cat /run/secrets/npmrc",
        ],
        "scripts/deploy.sh": [
            "#!/bin/sh",
            Leak(f"export GITHUB_TOKEN=ghp_{r('a', 36)}"),
            Leak(f'curl -H "PRIVATE-TOKEN: glpat-{r("w", 20)}" https://gitlab.internal/api/v4'),
            Leak(f"curl -fsS -u admin:{pw(14)} https://jenkins.internal/job/app/build"),
            Fake('export API_TOKEN="$(vault kv get -field=token secret/ci)"'),
            'echo "$DEPLOY_KEY" > key',
        ],
        "scripts/mongo-backup.sh": [
            Leak(f'mongodump --uri "mongodb+srv://backup:{upw()}@cluster0.ab1cd.mongodb.net/prod"'),
        ],
        "src/payments/client.js": [
            Leak(f"const stripe = require('stripe')('rk_live_{r('a', 40)}');"),
            Leak(f"const twilioAuthToken = '{r('h', 32)}';"),
            Fake("const apiKey = process.env.STRIPE_KEY;"),
            Fake("const KEY_PATTERN = /sk_live_[0-9a-zA-Z]{24}/;"),
        ],
        "config/application.properties": [
            Leak(
                f"spring.datasource.url=jdbc:mysql://db.internal:3306/app?user=app&password={upw()}"
            ),
            Leak(f"spring.datasource.password={pw()}"),
            Fake("spring.mail.password=${MAIL_PASSWORD}"),
            "management.endpoints.web.exposure.include=health",
        ],
        "appsettings.json": [
            "{",
            Leak(
                f'  "Default": "Server=tcp:sql.internal,1433;Database=app;User ID=app;'
                f'Password={upw()};",'
            ),
            Leak(
                f'  "AzureStorage": "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey='
                f'{r("b", 86)}==;EndpointSuffix=core.windows.net",'
            ),
            Leak(f'  "ClientSecret": "{r("a", 3)}8Q~{r("w", 34)}",'),
            Fake(f'  "ClientId": "{uuid(rng)}",'),
            Fake(f'  "TenantId": "{uuid(rng)}"'),
            "}",
        ],
        ".github/workflows/ci.yml": [
            "jobs:",
            "  build:",
            Fake(f"    - uses: actions/checkout@{r('h', 40)}"),
            "      with:",
            Fake("        token: ${{ secrets.GITHUB_TOKEN }}"),
            "    env:",
            Fake("      NPM_TOKEN: ${{ secrets.NPM_TOKEN }}"),
            Leak(f"      SLACK_BOT_TOKEN: xoxb-{r('d', 12)}-{r('d', 13)}-{r('a', 24)}"),
            Leak(f"      CODECOV_TOKEN: {uuid(rng)}"),
        ],
        "k8s/secret.yaml": [
            "kind: Secret",
            "stringData:",
            Leak(f"  OPENAI_API_KEY: sk-proj-{r('w', 74)}T3BlbkFJ{r('w', 74)}"),
            Leak(f"  ANTHROPIC_API_KEY: sk-ant-api03-{r('w', 93)}AA"),
            "data:",
            Fake(f"  tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t{r('b', 60)}"),
        ],
        "deploy/id_deploy": [
            Leak("-----BEGIN OPENSSH PRIVATE KEY-----"),
            *key_body,
            "-----END OPENSSH PRIVATE KEY-----",
        ],
        "keys/release.asc": [
            Leak("-----BEGIN PGP PRIVATE KEY BLOCK-----"),
            "",
            *key_body[:4],
            "=" + r("b", 4),
            "-----END PGP PRIVATE KEY BLOCK-----",
        ],
        "certs/server.pem": [
            Fake("-----BEGIN CERTIFICATE-----"),
            *cert_body,
            "-----END CERTIFICATE-----",
        ],
        "certs/deploy.pub": [Fake(f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{r('b', 43)} ci@build")],
        "gcp-sa.json": [
            "{",
            '  "type": "service_account",',
            Leak(f'  "private_key_id": "{r("h", 40)}",'),
            Leak(
                '  "private_key": "-----BEGIN PRIVATE KEY-----\\n'
                + "\\n".join(key_body)
                + '\\n-----END PRIVATE KEY-----\\n",'
            ),
            '  "client_email": "deployer@proj.iam.gserviceaccount.com"',
            "}",
        ],
        "docs/README.md": [
            Fake("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"),
            Fake("export GITHUB_TOKEN=<your-token>"),
            Fake("export GITHUB_TOKEN=ghp_" + "x" * 36),
            Fake("DATABASE_URL=postgres://user:password@localhost:5432/db"),
            Fake("mongodb+srv://<username>:<password>@cluster0.example.mongodb.net"),
            Fake(f"Authorization: Bearer {jwt_io}"),
        ],
        "package-lock.json": [
            Fake(f'      "integrity": "sha512-{r("b", 86)}==",'),
            '      "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz"',
        ],
        "package.json": [Fake(f'  "gitHead": "{r("h", 40)}",')],
        "poetry.lock": [Fake(f'    {{file = "a-1.0.whl", hash = "sha256:{r("h", 64)}"}},')],
        "src/auth/jwt.go": [
            Leak(f'var signingKey = []byte("{pw(32)}")'),
            Fake('const tokenHeader = "Authorization"'),
        ],
        "scripts/seed.sql": [
            Fake(
                f"INSERT INTO users (email, password_hash) VALUES ('a@b.c', '$2b$12${r('b', 53)}');"
            ),
            Leak(f"CREATE USER reporting WITH PASSWORD '{pw()}';"),
        ],
        "config/database.yml": [
            "production:",
            Leak(f'  password: "{pw()}"'),
            Fake("  password: <%= ENV['DB_PASSWORD'] %>"),
            Fake('  password: "********"'),
        ],
        ".npmrc": [
            Leak(f"//registry.npmjs.org/:_authToken=npm_{r('a', 36)}"),
            Fake("//npm.pkg.github.com/:_authToken=${GITHUB_TOKEN}"),
        ],
        ".pypirc": [
            "[pypi]",
            "username = __token__",
            Leak(f"password = pypi-AgEIcHlwaS5vcmc{r('w', 120)}"),
        ],
        "docker-config.json": [
            '{"auths": {"registry.internal": {',
            Leak(f'  "auth": "{basic}"'),
            "}}}",
        ],
        "src/notify/discord.py": [
            Leak(f'WEBHOOK = "https://discord.com/api/webhooks/{r("d", 18)}/{r("w", 68)}"'),
            Leak(f'TELEGRAM_BOT_TOKEN = "{r("d", 10)}:AA{r("w", 33)}"'),
        ],
        "config/monitoring.toml": [
            "[newrelic]",
            Leak(f'license_key = "{r("h", 36)}NRAL"'),
            "[sentry]",
            Leak(f'auth_token = "sntryu_{r("h", 64)}"'),
            "[grafana]",
            Leak(f'token = "glsa_{r("a", 32)}_{r("h", 8)}"'),
        ],
        "mobile/google-services.json": [Leak(f'  "current_key": "AIza{r("w", 35)}"')],
        "infra/group_vars/all.yml": [
            Leak(f"vault_token: hvs.{r('w', 95)}"),
            Fake('ansible_become_pass: "{{ vault_become_pass }}"'),
            Fake("vault_password_file: ~/.vault_pass"),
            Fake("api_key: !vault |"),
            f"  $ANSIBLE_VAULT;1.1;AES256\n  {r('h', 64)}",
            Fake(f"db_password: ENC[AES256_GCM,data:{r('b', 24)},iv:{r('b', 32)},type:str]"),
            Fake("aws_secret_access_key: \"{{ lookup('env', 'AWS_SECRET') }}\""),
        ],
        "src/ai/client.ts": [
            Leak(f'const groq = new Groq({{ apiKey: "gsk_{r("a", 52)}" }});'),
            Leak(f'const HF_TOKEN = "hf_{r("L", 34)}";'),
            Fake("const openaiKey = import.meta.env.VITE_OPENAI_KEY;"),
            Fake('const fake_token = "xxxxxxxxxxxxxxxx";'),
        ],
        "config/payments.rb": [
            Leak(f'SQUARE_ACCESS_TOKEN = "EAAA{r("w", 60)}"'),
            Leak(f'ShopifyAPI::Context.setup(api_secret_key: "shpat_{r("h", 32)}")'),
            Leak(f'Braintree.access_token = "access_token$production${r("l", 16)}${r("h", 32)}"'),
        ],
        "docker-compose.yml": [
            Fake("      POSTGRES_PASSWORD: postgres"),
            Fake("      DATABASE_URL: postgres://postgres:postgres@db:5432/app"),
            Leak(f"      RABBITMQ_URL: amqp://orders:{upw()}@mq.prod.internal:5672/"),
            Fake("      MONGO_URL: mongodb://${MONGO_USER}:${MONGO_PASS}@mongo:27017"),
        ],
        "src/storage.go": [
            Leak(
                f'sas := "https://acct.blob.core.windows.net/backups?sv=2022-11-02&ss=b&srt=co'
                f'&sp=rwdlac&se=2026-12-31T00:00:00Z&spr=https&sig={r("a", 43)}%3D"'
            ),
        ],
        "Jenkinsfile": [
            "environment {",
            Leak(f"  SONAR_TOKEN = 'squ_{r('h', 40)}'"),
            "}",
        ],
        "tests/test_auth.py": [
            Fake('TEST_PASSWORD = "correct horse battery staple"'),
            Leak(f'SESSION = "{jwt(rng)}"'),
        ],
        "ops/heroku.env": [Leak(f"HEROKU_API_KEY={uuid(rng)}"), Fake(f"BUILD_ID={uuid(rng)}")],
        "ops/supabase.env": [Leak(f"SUPABASE_ACCESS_TOKEN=sbp_{r('h', 40)}")],
        ".m2/settings.xml": [
            "<settings><servers><server>",
            "  <id>internal-releases</id>",
            "  <username>deployer</username>",
            Leak(f"  <password>{pw()}</password>"),
            Fake("  <password>${env.NEXUS_PASSWORD}</password>"),
            "</server></servers></settings>",
        ],
        "Web.config": [
            "<appSettings>",
            Leak(f'  <add key="PaymentGatewayApiKey" value="{r("a", 32)}" />'),
            Fake(f'  <add key="PaymentGatewayClientId" value="{uuid(rng)}" />'),
            Fake('  <add key="TokenLifetimeMinutes" value="60" />'),
            "</appSettings>",
        ],
        "ops/tailscale.sh": [Leak(f"tailscale up --authkey=tskey-auth-{r('a', 12)}-{r('a', 30)}")],
    }


@dataclass(frozen=True)
class Corpus:
    root: Path
    leaks: frozenset[tuple[str, int]]
    fakes: frozenset[tuple[str, int]]


def write_corpus(root: Path, seed: int = 20240601) -> Corpus:
    """Write every file under ``root``; return where the leaks and look-alikes are."""
    leaks, fakes = set(), set()
    for rel, lines in _files(random.Random(seed)).items():
        out: list[str] = []
        for item in lines:
            text = item.text if isinstance(item, Leak | Fake) else item
            lineno = len(out) + 1
            if isinstance(item, Leak):
                leaks.add((rel, lineno))
            elif isinstance(item, Fake):
                fakes.add((rel, lineno))
            out.extend(text.split("\n"))
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(out) + "\n")
    return Corpus(root, frozenset(leaks), frozenset(fakes))
