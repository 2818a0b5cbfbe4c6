"""Encryption at rest for configuration secrets: Fernet keys from a file or a variable.

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) authenticates
every token, so a wrong key is detected rather than decrypting to garbage.
A key source holds one key per line: the first encrypts, every line still
decrypts (MultiFernet), which is what makes a rotation safe to interrupt —
the new key is added in front, everything is re-encrypted, then the old key
is dropped. Key material is never printed, logged or put in an exception.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from changegate.errors import EnvironmentProblem, InputError


@dataclass(frozen=True)
class KeySource:
    """Where a key lives: a file path or the name of an environment variable."""

    path: Path | None = None
    env_var: str | None = None

    def describe(self) -> str:
        return f"${self.env_var}" if self.env_var else str(self.path)


class Keyring:
    """The keys of one source; seals with the first, opens with any."""

    def __init__(self, keys: list[bytes], source: KeySource) -> None:
        if not keys:
            raise EnvironmentProblem(f"{source.describe()}: holds no key")
        self._keys = list(keys)
        self._multi = MultiFernet([Fernet(k) for k in keys])
        self._count = len(keys)
        self._primary_id = hashlib.sha256(b"changegate config key id\n" + keys[0]).hexdigest()[:12]
        self.source = source

    @property
    def key_count(self) -> int:
        return self._count

    @property
    def primary_id(self) -> str:
        """A short, non-secret identifier of the encrypting key (for messages)."""
        return self._primary_id

    def older(self) -> Keyring | None:
        """The keys after the first (the ones a rotation retires), None when there are none."""
        return Keyring(self._keys[1:], self.source) if self._count > 1 else None

    def opens(self, token: str) -> bool:
        """Whether a key here decrypts ``token`` (a rotation's check that nothing is left
        under a key it is about to drop)."""
        try:
            self._multi.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            return False
        return True

    def seal(self, data: bytes) -> str:
        return self._multi.encrypt(data).decode("ascii")

    def open(self, token: str, what: str) -> bytes:
        """Decrypt ``token``; a wrong key is one clear line naming the source."""
        try:
            return self._multi.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise EnvironmentProblem(
                f"{self.source.describe()}: this key does not decrypt {what} (wrong key, or the "
                "key was rotated without this copy); use the key the config was encrypted with"
            ) from exc

    def reseal(self, token: str, what: str) -> str:
        """The same plaintext under the first key (a rotation step)."""
        try:
            return self._multi.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken as exc:
            raise EnvironmentProblem(
                f"{self.source.describe()}: cannot re-encrypt {what}: no key here decrypts it"
            ) from exc


def generate_key() -> bytes:
    return Fernet.generate_key()


def _parse(text: str, source: KeySource) -> list[bytes]:
    keys: list[bytes] = []
    for n, raw in enumerate(text.replace(",", "\n").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            Fernet(line.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            where = f"{source.describe()}:{n}" if source.path else source.describe()
            raise EnvironmentProblem(
                f"{where}: not a Fernet key (32 url-safe base64 bytes); create one with "
                "`changegate config keygen ENV`"
            ) from exc
        keys.append(line.encode("ascii"))
    return keys


def load(source: KeySource) -> Keyring:
    """The keyring from its source; missing, unreadable or malformed is a clear error."""
    if source.env_var:
        text = os.environ.get(source.env_var, "")
        if not text.strip():
            raise EnvironmentProblem(
                f"${source.env_var} is not set: it must hold the config encryption key "
                "(the policy's key_env)"
            )
        return Keyring(_parse(text, source), source)
    assert source.path is not None
    try:
        mode = source.path.stat().st_mode
        text = source.path.read_text()
    except FileNotFoundError as exc:
        raise EnvironmentProblem(
            f"{source.path}: config encryption key not found; restore it, or create a new "
            "one with `changegate config keygen ENV` for a new environment"
        ) from exc
    except OSError as exc:
        raise EnvironmentProblem(f"{source.path}: cannot read the key ({exc.strerror})") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise EnvironmentProblem(
            f"{source.path}: readable by others (mode {stat.S_IMODE(mode):o}); "
            f"run `chmod 600 {source.path}`"
        )
    return Keyring(_parse(text, source), source)


def _write_private(path: Path, keys: list[bytes]) -> None:
    """Replace ``path`` atomically with these keys, mode 0600 from the first byte."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:  # mkstemp creates the file 0600
            fh.write(b"".join(k + b"\n" for k in keys))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def create_key_file(path: Path) -> None:
    """A new key file; refuses to overwrite one (that would orphan every secret)."""
    if path.exists():
        raise InputError(f"{path}: a key already exists; keep it (rotate with `config rotate-key`)")
    _write_private(path, [generate_key()])


def add_primary(path: Path) -> None:
    """Put a new key in front of the file's keys (the first step of a rotation)."""
    old = load(KeySource(path=path))
    del old  # validated: we never add a key in front of a file we cannot read
    current = _parse(path.read_text(), KeySource(path=path))
    _write_private(path, [generate_key(), *current])


def keep_primary(path: Path) -> None:
    """Drop every key but the first (the last step of a rotation)."""
    current = _parse(path.read_text(), KeySource(path=path))
    _write_private(path, current[:1])
