"""Builders that turn one line of a rule table into a :class:`Rule`.

Two shapes cover most providers: a token with a distinctive prefix (``tok``),
found anywhere, and an unprefixed value that only means something next to
the provider's name (``ctx``), e.g. ``HEROKU_API_KEY = <uuid>``. Writing the
boundaries once here keeps the tables short and the boundaries consistent.
"""

from __future__ import annotations

from changegate.secrets.model import Rule

# Not preceded by a letter or digit, not followed by a token character: a
# longer token that merely contains a prefix must not match.
LEAD = r"(?:^|[^0-9A-Za-z])"
TRAIL = r"(?:[^0-9A-Za-z_\-]|$)"
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# How code, config, env files and YAML assign a value to a name.
_NAME_TAIL = r"[\w.\-]{0,30}"
_SEP = r"""["'\]]?[ \t]{0,3}(?:=|:|=>|:=|\?=|<-|\|\|=)[ \t]{0,3}["'\x60]?"""


def tok(
    id: str,
    description: str,
    pattern: str,
    example: str,
    keywords: str,
    category: str,
    *,
    entropy: float = 0.0,
) -> Rule:
    """A self-identifying token (``ghp_…``): the prefix alone makes it a secret."""
    return Rule(
        id=id,
        description=description,
        regex=f"(?m){LEAD}({pattern}){TRAIL}",
        keywords=tuple(keywords.split()),
        entropy=entropy,
        example=example,
        category=category,
    )


def ctx(
    id: str,
    description: str,
    names: str,
    pattern: str,
    example: str,
    category: str,
    *,
    entropy: float = 3.0,
) -> Rule:
    """A value only recognisable by the provider's name on its left.

    ``names`` are plain words separated by ``|``; they are both the regex
    alternation (case-insensitive) and the prefilter keywords. ``example`` is
    the value's template; the test line assigns it to ``<NAME>_KEY``.
    """
    words = names.split("|")
    regex = f"(?m)(?i:{names})({_NAME_TAIL}){_SEP}({pattern}){TRAIL}"
    line = f'{words[0].upper()}_KEY = "{example}"'
    return Rule(
        id=id,
        description=description,
        regex=regex,
        keywords=tuple(w.lower() for w in words),
        entropy=entropy,
        example=line,
        category=category,
        secret_group=2,
        check="ctx",
    )


def raw(
    id: str,
    description: str,
    regex: str,
    example: str,
    keywords: str,
    category: str,
    *,
    entropy: float = 0.0,
    secret_group: int = 1,
    check: str = "",
) -> Rule:
    """A rule whose shape fits neither builder; ``example`` is a whole line."""
    return Rule(
        id=id,
        description=description,
        regex=regex,
        keywords=tuple(keywords.split()),
        entropy=entropy,
        example=example,
        category=category,
        secret_group=secret_group,
        check=check,
    )
