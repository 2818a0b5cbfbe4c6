"""``.gitleaks.toml`` compatibility: a team switching to us keeps its tuning.

Semantics follow gitleaks v8: a configuration replaces the default rules
unless it says ``[extend] useDefault = true``, in which case our built-in
rules stand in for gitleaks' defaults. Custom rules are taken as written
(no extra filters of ours), their regexes compiled with RE2 and, when RE2
refuses one, with Python's ``re`` for that rule alone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from changegate.errors import InputError
from changegate.secrets.model import Allowlist, Rule
from changegate.secrets.ruleset import RuleSet, compile_regex, merge

CONFIG_NAME = ".gitleaks.toml"
_MAX_EXTEND_DEPTH = 3


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: expected a list of strings")
    return tuple(value)


def _allowlist(raw: Any, where: str) -> Allowlist:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected a table")
    condition = str(raw.get("condition", "OR")).upper()
    target = str(raw.get("regexTarget", "secret")).lower()
    if condition not in ("OR", "AND"):
        raise InputError(f"{where}: condition must be OR or AND, not {condition!r}")
    if target not in ("secret", "match", "line"):
        raise InputError(f"{where}: regexTarget must be secret, match or line")
    al = Allowlist(
        description=str(raw.get("description", "")),
        regexes=_strings(raw.get("regexes"), where),
        regex_target=target,  # type: ignore[arg-type]
        paths=_strings(raw.get("paths"), where),
        stopwords=_strings(raw.get("stopwords"), where),
        commits=_strings(raw.get("commits"), where),
        condition=condition,  # type: ignore[arg-type]
        target_rules=_strings(raw.get("targetRules"), where),
    )
    for pattern in (*al.regexes, *al.paths):
        _check_regex(pattern, where)
    return al


def _allowlists(table: dict[str, Any], where: str) -> list[Allowlist]:
    out = []
    if "allowlist" in table:
        out.append(_allowlist(table["allowlist"], f"{where} allowlist"))
    for i, raw in enumerate(table.get("allowlists", []) or []):
        out.append(_allowlist(raw, f"{where} allowlists[{i}]"))
    return out


def _check_regex(pattern: str, where: str) -> None:
    try:
        compile_regex(pattern)
    except re.error as exc:
        raise InputError(f"{where}: regex does not compile ({exc})") from exc


def _rule(raw: Any, index: int, path: Path, defaults: dict[str, Rule]) -> Rule | None:
    where = f"{path} rules[{index}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise InputError(f"{where}: every rule needs a string id")
    rule_id = raw["id"]
    where = f"{path} rule {rule_id!r}"
    allow = tuple(_allowlists(raw, where))
    regex = raw.get("regex")
    if regex is None:
        base = defaults.get(rule_id)
        if base is None:
            return None  # path-only rules: not supported, reported by the caller
        return Rule(**{**_fields(base), "allowlists": base.allowlists + allow})
    if not isinstance(regex, str):
        raise InputError(f"{where}: regex must be a string")
    _check_regex(regex, where)
    rule_path = str(raw.get("path", ""))
    if rule_path:
        _check_regex(rule_path, where)
    return Rule(
        id=rule_id,
        description=str(raw.get("description", rule_id)),
        regex=regex,
        keywords=tuple(k.lower() for k in _strings(raw.get("keywords"), where)),
        secret_group=int(raw.get("secretGroup", 0)) or 1,
        entropy=float(raw.get("entropy", 0.0)),
        allowlists=allow,
        path=rule_path,
        category="custom",
    )


def _fields(rule: Rule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in rule.__slots__}


def _read(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from exc


def load_config(
    path: Path, defaults: tuple[Rule, ...], *, depth: int = 0
) -> tuple[list[Rule], list[Allowlist], list[str]]:
    """Rules, global allowlists and notes (unsupported parts) of one config file."""
    data = _read(path)
    notes: list[str] = []
    by_id = {r.id: r for r in defaults}
    extend = data.get("extend", {}) or {}
    base_rules: list[Rule] = []
    allowlists: list[Allowlist] = []
    if extend.get("path") and depth < _MAX_EXTEND_DEPTH:
        parent = (path.parent / str(extend["path"])).resolve()
        base_rules, allowlists, more = load_config(parent, defaults, depth=depth + 1)
        notes.extend(more)
    if extend.get("useDefault"):
        base_rules = merge(defaults, base_rules)
    by_id.update({r.id: r for r in base_rules})
    custom: list[Rule] = []
    for i, raw in enumerate(data.get("rules", []) or []):
        rule = _rule(raw, i, path, by_id)
        if rule is None:
            notes.append(f"{path}: rule {raw['id']!r} has no regex (path-only rules are skipped)")
        else:
            custom.append(rule)
    disabled = _strings(extend.get("disabledRules"), f"{path} [extend] disabledRules")
    allowlists.extend(_allowlists(data, str(path)))
    return merge(base_rules, custom, disabled), allowlists, notes


def load_rules(root: str | Path | None = None, *, config: str | Path | None = None) -> RuleSet:
    """The rule set for a repository: ``config``, else ``ROOT/.gitleaks.toml``, else ours.

    Notes about unsupported parts of the configuration are kept on the
    returned set (``ruleset.notes``) for the caller to show.
    """
    from changegate.secrets.rules import default_rules, default_ruleset

    path = Path(config) if config is not None else None
    if path is None and root is not None and (Path(root) / CONFIG_NAME).is_file():
        path = Path(root) / CONFIG_NAME
    if path is None:
        return default_ruleset()
    rules, allowlists, notes = load_config(path, default_rules())
    ruleset = RuleSet(rules, allowlists)
    ruleset.notes.extend(notes)
    return ruleset
