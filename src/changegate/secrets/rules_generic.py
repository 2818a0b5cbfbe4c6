"""Detectors that are not tied to one provider: keys, URIs, headers, assignments.

These carry the most false-positive risk, so each names a ``check`` that
:mod:`changegate.secrets.filters` applies on top of the shared filters.
"""

from __future__ import annotations

from changegate.secrets.model import Rule
from changegate.secrets.ruledefs import raw

_G = "generic"

_SECRET_NAME = (
    r"[\w.\-]{0,30}?(?:secret|token|passw(?:or)?d|passwd|pwd|passphrase|api[_.\-]?key|apikey"
    r"|access[_.\-]?key|private[_.\-]?key|client[_.\-]?key|auth[_.\-]?key|signing[_.\-]?key"
    r"|encryption[_.\-]?key|master[_.\-]?key|credentials?|creds|auth)[\w.\-]{0,20}"
)

_XML_NAME = (
    r"[\w.:\-]{0,30}?(?:secret|token|passw(?:or)?d|passwd|pwd|passphrase|api[_.\-]?key"
    r"|apikey|access[_.\-]?key|private[_.\-]?key|credentials?)[\w.:\-]{0,20}"
)

# fmt: off
RULES: tuple[Rule, ...] = (
    Rule(
        id="private-key",
        description="Private key (PEM / OpenSSH / PGP) with its body",
        regex=r"-----BEGIN[ A-Z0-9]{0,40} PRIVATE KEY(?: BLOCK)?-----"
              r"([\s\S]{64,}?)-----END[ A-Z0-9]{0,40} PRIVATE KEY(?: BLOCK)?-----",
        keywords=("private key",),
        check="pem",
        squash=True,
        example="-----BEGIN OPENSSH PRIVATE KEY-----\n{b:70}\n{b:70}\n{b:70}\n{b:20}==\n"
                "-----END OPENSSH PRIVATE KEY-----",
        category=_G,
    ),
    Rule(
        id="putty-private-key",
        description="PuTTY private key file",
        regex=r"PuTTY-User-Key-File-[23]:[\s\S]{0,}?Private-Lines:\s*\d+\s+"
              r"([A-Za-z0-9+/=\s]{64,})",
        keywords=("putty-user-key-file",),
        check="pem",
        squash=True,
        example="PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy\n"
                "Public-Lines: 2\nAAAAC3Nz{b:40}\n{b:8}\nPrivate-Lines: 1\n{b:72}\n"
                "Private-MAC: {h:64}",
        category=_G,
    ),
    raw("uri-credentials", "Password inside a connection URI",
        r"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|amqps?|rediss?|mssql"
        r"|sqlserver|https?|ftps?|sftp|smtps?|ldaps?|nats|kafka|clickhouse|neo4j(?:\+s)?"
        r"|couchdb|cockroachdb|oracle)(?:\+[a-z0-9]+)?://([^:/?#@\s'\"\x60]{0,100}):"
        r"([^@/?#\s'\"\x60]{3,})@[A-Za-z0-9.\-_\[\]]+",
        "DATABASE_URL=postgres://app:{a:20}@db.internal:5432/app",
        "://", _G, secret_group=2, check="uri"),
    raw("curl-user-password", "Password passed to curl or wget on the command line",
        r"(?i)\b(?:curl|wget)\b[^\n]{0,}?\s(?:-u|--user|--http-user)[ =][\"']?"
        r"([^:\s\"']{1,64}):([^\s\"'@]{4,128})",
        "curl -fsS -u deploy:{pw} https://ci.internal/job/api/build", "curl wget", _G,
        secret_group=2, check="uri"),
    raw("sql-password", "Password in a SQL user statement",
        r"(?i)\b(?:create|alter|grant)\s[^;\n]{0,200}?(?:with\s+(?:encrypted\s+)?password|identified\s+by)"
        r"\s*'([^'\s]{4,128})'",
        "CREATE USER reporting WITH PASSWORD '{pw}';", "password identified", _G,
        check="uri"),
    raw("http-basic-auth-header", "HTTP Basic credentials in an Authorization header",
        r"(?i)authorization[\"']?\s*[:=,]\s*[\"']?basic\s+([A-Za-z0-9+/]{12,}={0,2})",
        "Authorization: Basic {basic}", "basic", _G, check="basic"),
    raw("http-bearer-header", "Bearer token in an Authorization header",
        r"(?i)authorization[\"']?\s*[:=,]\s*[\"']?bearer\s+([A-Za-z0-9._~+/\-]{20,}=*)",
        'curl -H "Authorization: Bearer {w:48}" https://api.internal/v1', "bearer", _G,
        entropy=3.5, check="generic-value"),
    raw("jwt", "JSON Web Token",
        r"(?:^|[^A-Za-z0-9_\-])(eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}"
        r"\.[A-Za-z0-9_\-]{16,})",
        "session = {jwt}", "eyj", _G, entropy=3.0),
    raw("generic-secret-assignment", "High-entropy value assigned to a secret-like name",
        r"(?mi)(?:^|[^\w.\-])(" + _SECRET_NAME + r")[\"'\]]?[ \t]{0,3}(?:=|:|=>|:=|\?=|<-)"
        r"[ \t]{0,3}(?:(?:\[\]byte\(|Buffer\.from\(|[brf])?[\"'\x60]([^\"'\x60\s]{8,})[\"'\x60]"
        r"|([^\s\"'\x60;,]{8,}))",
        'db_password = "{pw}"',
        "secret token passw pwd passphrase key credential creds auth",
        _G, secret_group=-2, check="generic"),
    raw("generic-xml-secret", "Secret in an XML element with a secret-like name",
        r"(?i)<(" + _XML_NAME + r")>[ \t]*([^<\s]{8,200})[ \t]*</",
        "<settings><server><password>{pw}</password></server></settings>",
        "secret token passw pwd passphrase key credential", _G, secret_group=2,
        check="generic"),
    raw("dotnet-appsetting-secret", "Secret in a .NET appSettings entry",
        r"(?i)<add\s+key\s*=\s*\"(" + _XML_NAME + r")\"\s+value\s*=\s*\"([^\"\s]{8,200})\"",
        '<add key="PaymentApiKey" value="{a:32}" />',
        "secret token passw pwd passphrase key credential", _G, secret_group=2,
        check="generic"),
)
# fmt: on
