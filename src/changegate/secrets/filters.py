"""False-positive filters: reasons a well-shaped match is still not a secret.

Every filter answers one question about the candidate value (or its line) and
is cheap; the shared ones run for every rule, the stricter ones only for the
generic detectors whose regexes cannot tell a password from an identifier.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections import Counter
from itertools import pairwise

from changegate.secrets.entropy import shannon


class _Lazy:
    """A regex compiled on first use: most scans never need most filters, and
    compiling them all at import would cost the pre-commit hook ~10 ms."""

    __slots__ = ("_flags", "_pattern", "_re")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._pattern, self._flags = pattern, flags
        self._re: re.Pattern[str] | None = None

    def _get(self) -> re.Pattern[str]:
        if self._re is None:
            self._re = re.compile(self._pattern, self._flags)
        return self._re

    def search(self, text: str) -> re.Match[str] | None:
        return self._get().search(text)

    def match(self, text: str) -> re.Match[str] | None:
        return self._get().match(text)


# fmt: off
_PLACEHOLDER_WORDS = (
    "example", "sample", "dummy", "placeholder", "your_", "your-", "yourkey", "yourtoken",
    "yourpass", "yoursecret", "changeme", "change_me", "change-me", "replace", "insert",
    "redacted", "fake", "foobar", "notreal", "not_real", "not-real", "not-a-real", "not_a_real",
    "xxxx", "****", "....", "<", ">", "secret_here", "token_here", "key_here", "todo", "...",
    "fixme", "mysecret", "my_secret", "my-secret", "supersecret", "s3cr3t", "hunter2", "letmein",
    "qwerty", "lorem", "ipsum", "test_key", "testkey", "testtoken", "test_token",
)
# fmt: on
_TEMPLATE = ("${", "{{", "}}", "#{", "$(", "%(", "%s", "{0}", "<%", "@@", "[[", "]]")
_SEQUENCES = ("0123456789", "1234567890", "abcdefghij", "ABCDEFGHIJ", "9876543210", "qwertyuiop")

# SHA-256 of secrets published in vendors' own documentation (kept as digests
# so that this file carries no token-shaped literal).
_DOC_EXAMPLES = frozenset(
    {
        "2cafc0970149a84f3b9e62eaf169f36f59907a3b3e31f7b82e68c69cd27f7326",  # Stripe docs key
        "7f75367e7881255134e1375e723d1dea8ad5f6a4fdb79d938df1f1754a830606",  # jwt.io sample
    }
)

_REFERENCE = _Lazy(
    r"^(?:\$[A-Za-z_{(]|%[A-Za-z_]+%|env[.:\[(]|ENV[\[.]|os\.environ|process\.env|getenv"
    r"|secrets?\.|vault:|arn:aws:|op://|sm://|ssm:|ref\+|!Ref|@Microsoft\.KeyVault"
    r"|akv://|gcp-secret:|projects/[^/]+/secrets/|sops:|ENC\[|AQICAH)",
)
_IDENTIFIER = _Lazy(
    r"^(?:[A-Za-z_$][\w$]*(?:(?:\.|->|::)[A-Za-z_$][\w$]*)+(?:\(.*)?|[A-Za-z_$][\w$]*\(.*"
    r"|[A-Za-z_$][\w$]*\[.*)$"
)
_LETTERS_ONLY = _Lazy(r"^[A-Za-z_.\-]+$")
_UUID = _Lazy(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HASH_PREFIX = _Lazy(r"^(?:sha(?:1|224|256|384|512)|md5|blake2b?|xxh\d*)[-:=]", re.I)
_CRYPT = _Lazy(r"^\$(?:2[abyx]?|argon2(?:id|i|d)?|5|6|1|apr1|pbkdf2[\w-]*|scrypt)\$")
_REGEX_SOURCE = _Lazy(r"\\[dwsbDWSB]|\[[^\]]*-[^\]]*\]|\{\d+(?:,\d*)?\}|\(\?|\.\*|\.\+|\|\^")
_PATHLIKE = _Lazy(
    r"^(?:/|\./|\.\./|~/|[A-Za-z]:\\)|\.(?:pem|key|crt|cer|p12|pfx|jks|json|ya?ml|txt|env|cfg"
    r"|conf|ini|toml|py|js|ts|rb|go|java|sh|pub|der|gpg|asc)$",
    re.I,
)
_NUMERIC_ISH = _Lazy(r"^[\d.,:_\-+eE ]+$|^\d{4}-\d{2}-\d{2}")
_EXCLUDED_NAME = _Lazy(
    r"public|pub_|pubkey|hash|sha\d|_sha|checksum|digest|fingerprint|uuid|length|_len|type"
    r"|name|file|path|url|uri|endpoint|host|format|field|label|header|prefix|suffix|pattern"
    r"|regex|version|mode|size|count|max|min|timeout|ttl|expir|cache|policy|method|provider"
    r"|scope|enabled|required|location|dir|algorithm|author|example|sample|placeholder"
    r"|description|comment|message|hint|title|class|kind|integrity|cert|csrf|page|next|cursor",
    re.I,
)
_ID_SUFFIX = _Lazy(r"(?:[_.\-](?:id|ID|Id)|[a-z]Id|ID)$")
_LOCK_FILES = _Lazy(
    r"(?:^|/)(?:package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.ya?ml|poetry\.lock"
    r"|Pipfile\.lock|Cargo\.lock|go\.sum|composer\.lock|Gemfile\.lock|[^/]*\.lock|uv\.lock"
    r"|packages\.lock\.json|flake\.lock)$"
)
_STRONG_NAME = _Lazy(r"secret|token|passw|pwd|passphrase|key|credential|creds", re.I)
_AUTH_WORD = _Lazy(r"auth(?:[_.\-]|$)|Auth$", re.I)
_B64_RUN = _Lazy(r"[A-Za-z0-9+/=]{40}")
_CTX_SUFFIX = _Lazy(
    r"(?:[_.\-]?(?:id|url|uri|endpoint|host|region|name|version|user(?:name)?|email|org|project"
    r"|path|dir|file|site|domain|zone|env))$",
    re.I,
)
_DOC_FILES = _Lazy(r"\.(?:md|markdown|rst|adoc|txt)$", re.I)
_CODE_FILES = _Lazy(
    r"\.(?:py|pyi|js|jsx|mjs|cjs|ts|tsx|go|java|kt|kts|scala|rb|php|cs|c|h|cc|cpp|hpp|rs|swift"
    r"|m|mm|dart|lua|pl|pm|r|jl|ex|exs|erl|clj|groovy|vue|svelte)$",
    re.I,
)
# Defaults and documentation credentials everybody knows (scott/tiger, guest/guest...).
# fmt: off
_WEAK_PASSWORDS = frozenset({
    "password", "passwd", "pass", "secret", "changeme", "postgres", "root", "admin", "guest",
    "test", "user", "mysql", "redis", "rabbitmq", "mongo", "mongodb", "example", "pwd",
    "default", "demo", "dev", "local", "sa", "toor", "qwerty", "letmein", "secret123",
    "password123", "admin123", "pass123", "test123", "postgrespassword", "mypassword",
    "mysecretpassword", "tiger", "hunter2", "foo", "bar", "baz", "foobar", "s3cret", "s3cr3t",
    "passw0rd", "p@ssw0rd", "password1", "abc123", "pw", "mypass", "yourpassword",
    "secretpassword", "apple", "banana", "xyz",
})
# fmt: on
_EXAMPLE_HOSTS = _Lazy(r"@(?:[\w.-]*\.)?(?:example\.(?:com|org|net)|host|hostname|server)\b")


def is_doc_example(secret: str) -> bool:
    """A value a vendor published in its own documentation."""
    return hashlib.sha256(secret.encode()).hexdigest() in _DOC_EXAMPLES


def looks_repeated(secret: str) -> bool:
    """Mostly one character, or a keyboard/alphabet run: typed by a human, not generated."""
    alnum = [ch for ch in secret if ch.isalnum()]
    if not alnum:
        return True
    _, top = Counter(alnum).most_common(1)[0]
    if top / len(alnum) >= 0.6:
        return True
    if any(seq in secret for seq in _SEQUENCES):
        return True
    return _ascending_runs(secret, 5) >= 1 or _ascending_runs(secret, 4) >= 2


def _ascending_runs(value: str, length: int) -> int:
    """Runs like ``abcd``/``1234`` (case-insensitive): how people make up "random" values.

    Generated tokens almost never hold two such runs of four, or one of five
    (under one in ten thousand for a 64-character hex value).
    """
    low = value.lower()
    runs, size = 0, 1
    for prev, cur in pairwise(low):
        if cur.isalnum() and ord(cur) == ord(prev) + 1:
            size += 1
            if size == length:
                runs += 1
        else:
            size = 1
    return runs


def base_reject(secret: str) -> bool:
    """Filters every rule shares: placeholders, templating, repeated characters, doc values."""
    low = secret.lower()
    if any(w in low for w in _PLACEHOLDER_WORDS):
        return True
    if any(t in secret for t in _TEMPLATE):
        return True
    return looks_repeated(secret) or is_doc_example(secret)


def char_classes(value: str) -> int:
    """How many of lower, upper, digit and symbol the value mixes."""
    lower = upper = digit = other = 0
    for ch in value:
        if ch.islower():
            lower = 1
        elif ch.isupper():
            upper = 1
        elif ch.isdigit():
            digit = 1
        elif ch not in "_-.":
            other = 1
    return lower + upper + digit + other


def reject_value(value: str) -> bool:
    """Values that a secret-like name points at but that are not secrets themselves."""
    if _REFERENCE.match(value) or _IDENTIFIER.match(value):
        return True
    if _UUID.match(value) or _HASH_PREFIX.match(value) or _CRYPT.match(value):
        return True
    if _PATHLIKE.search(value) or _NUMERIC_ISH.match(value) or _REGEX_SOURCE.search(value):
        return True
    if value.startswith(("http://", "https://", "ssh-", "AAAAB3Nza", "AAAAC3Nza", "ecdsa-", "#")):
        return True
    if "@" in value and "." in value.rsplit("@", maxsplit=1)[-1]:
        return True  # an e-mail address
    if value.lower() in {"true", "false", "null", "none", "nil", "undefined", "required"}:
        return True
    classes = char_classes(value)
    if _LETTERS_ONLY.match(value):
        return not (len(value) >= 24 and shannon(value) >= 4.0)
    if len(value) < 16:
        return classes < 3 or shannon(value) < 2.9
    return classes < 2 or shannon(value) < 3.2


def reject_generic(value: str, name: str, line: str, path: str, *, quoted: bool = True) -> bool:
    """The generic assignment detector: name, value and line must all look secret.

    In source code a literal is always quoted: an unquoted right-hand side
    there is an expression (``password=getpass()``), never a secret.
    """
    if _LOCK_FILES.search(path) or "integrity" in line:
        return True
    if not quoted and _CODE_FILES.search(path):
        return True
    if _EXCLUDED_NAME.search(name) or _ID_SUFFIX.search(name):
        return True
    if not _STRONG_NAME.search(name) and not _AUTH_WORD.search(name):
        return True  # "auth" only as a word of its own: not author, authrole, auth0
    if f"::{name}" in line:
        return True  # a type name used as a key (AWS::ApiGateway::ApiKey), not a variable
    low = value.lower()
    if "token" in low or "secret" in low or "passw" in low or "arn:" in low or '\\"' in value:
        return True  # "import-token-…", an ARN, escaped JSON: a description, not a secret
    if value.startswith("[") and value.endswith("]"):
        return True  # [Password]
    if _DOC_FILES.search(path) and (len(value) < 20 or shannon(value) < 3.8):
        return True  # documentation: only values that look generated
    if value.lower() in name.lower() or reject_value(value):
        return True
    return name.isupper() and value.isupper() and "_" in value  # FOO_TOKEN=OTHER_NAME


def reject_uri_password(password: str, user: str, match: str) -> bool:
    """Credentials in URIs: drop defaults everybody knows and documentation hosts."""
    if password.lower() in _WEAK_PASSWORDS or password == user:
        return True
    if password.startswith((":", "$", "%", "{", "<")) or _EXAMPLE_HOSTS.search(match):
        return True
    return _REFERENCE.match(password) is not None


def reject_pem_body(body: str) -> bool:
    """A header with ``...`` or a template instead of a key is documentation."""
    if "..." in body or "…" in body or "<" in body or "{{" in body or "${" in body:
        return True
    if "example" in body.lower():
        return True
    # A key body is lines of 40+ base64 characters; prose between a quoted
    # header and footer (a docstring about PEM files) is short words.
    if not _B64_RUN.search(body):
        return True
    return looks_repeated(re.sub(r"\s|\\n", "", body))


def reject_basic(value: str) -> bool:
    """``Basic`` credentials must decode to ``user:password`` with a real password."""
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return True
    user, sep, password = decoded.partition(":")
    if not sep or not password:
        return True
    return reject_uri_password(password, user, "") or base_reject(password)


def reject_ctx_name(suffix: str) -> bool:
    """``SEGMENT_ID``/``HEROKU_APP_NAME``: the provider's name, but not its secret."""
    return _CTX_SUFFIX.search(suffix) is not None
