"""Random values in providers' formats, generated at test time (never committed).

Templates are the ``example`` strings of the rules: ``{a:36}`` is 36 random
characters of class ``a``; ``{uuid}``, ``{pw}``, ``{basic}`` and ``{jwt}`` are
whole shapes. ``placeholder=True`` fills every slot the way documentation
does (``xxxx…``), which each rule must then refuse.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string

# The fingerprint key every test uses (the ledger supplies the real one).
TEST_KEY = b"test-fingerprint-key"

CLASSES = {
    "a": string.ascii_letters + string.digits,
    "l": string.ascii_lowercase + string.digits,
    "u": string.ascii_uppercase + string.digits,
    "h": "0123456789abcdef",
    "H": "0123456789ABCDEF",
    "d": string.digits,
    "b": string.ascii_letters + string.digits + "+/",
    "w": string.ascii_letters + string.digits + "_-",
    "L": string.ascii_letters,
    "U": string.ascii_uppercase + "234567",
    "z": string.ascii_lowercase + "234567",
    "g": "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
}
_FILLER = {
    "a": "x",
    "l": "x",
    "w": "x",
    "L": "x",
    "z": "x",
    "b": "x",
    "u": "X",
    "U": "X",
    "g": "X",
    "h": "0",
    "H": "0",
    "d": "0",
}
_SLOT = re.compile(r"\{([A-Za-z]):(\d+)\}|\{(uuid|pw|basic|jwt)\}")


def rand(rng: random.Random, cls: str, n: int) -> str:
    return "".join(rng.choice(CLASSES[cls]) for _ in range(n))


def password(rng: random.Random, n: int = 18) -> str:
    """A strong generated password: every class present, no quotes or spaces."""
    pools = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "!#%*+=?^~"]
    chars = [rng.choice(p) for p in pools] + [rng.choice("".join(pools)) for _ in range(n - 4)]
    rng.shuffle(chars)
    return "".join(chars)


def uuid(rng: random.Random) -> str:
    h = rand(rng, "h", 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def jwt(rng: random.Random) -> str:
    def seg(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    claims = {
        "sub": rand(rng, "a", 12),
        "iat": rng.randint(1_600_000_000, 1_800_000_000),
        "scope": "admin",
    }
    return f"{seg({'alg': 'HS256', 'typ': 'JWT'})}.{seg(claims)}.{rand(rng, 'w', 43)}"


def fill(template: str, rng: random.Random, *, placeholder: bool = False) -> str:
    """Expand a rule's example template into a concrete value."""

    def one(m: re.Match[str]) -> str:
        cls, count, special = m.group(1), m.group(2), m.group(3)
        if cls:
            n = int(count)
            return _FILLER[cls] * n if placeholder else rand(rng, cls, n)
        if special == "uuid":
            return "00000000-0000-0000-0000-000000000000" if placeholder else uuid(rng)
        if special == "pw":
            return "xxxxxxxxxxxxxxxx" if placeholder else password(rng)
        if special == "basic":
            pw = "xxxxxxxxxxxx" if placeholder else password(rng)
            return base64.b64encode(f"deploy:{pw}".encode()).decode()
        if placeholder:
            return "eyJ" + "x" * 40 + ".eyJ" + "x" * 60 + "." + "x" * 43
        return jwt(rng)

    return _SLOT.sub(one, template)
