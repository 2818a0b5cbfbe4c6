"""Finding identity and safety: keyed fingerprints, previews, no secret anywhere."""

from __future__ import annotations

import json
import pickle
import random
import subprocess
import sys

from secretgen import TEST_KEY, rand

from changegate.secrets import make_scanner, to_json, to_sarif
from changegate.secrets.engine import Scanner
from changegate.secrets.fingerprint import fingerprint, preview
from changegate.secrets.model import ScanResult
from changegate.secrets.rules import default_ruleset

RNG = random.Random(3)


def test_fingerprint_is_keyed_and_survives_moves() -> None:
    token = "ghp_" + rand(RNG, "a", 36)
    s1 = Scanner(default_ruleset(), b"key-one")
    a = s1.scan_text(f'T = "{token}"\n', "a.py")[0]
    b = s1.scan_text(f'# moved\n\nother = 1\nT = "{token}"\n', "b.py")[0]
    c = Scanner(default_ruleset(), b"key-two").scan_text(f'T = "{token}"\n', "a.py")[0]
    assert a.fingerprint == b.fingerprint == fingerprint(b"key-one", "github-pat", token)
    assert a.fingerprint != c.fingerprint
    assert (b.line, b.column) == (4, 6)


def test_preview_and_repr_never_show_the_secret() -> None:
    token = "ghp_" + rand(RNG, "a", 36)
    finding = Scanner(default_ruleset(), TEST_KEY).scan_text(f"t={token}", "x")[0]
    assert finding.preview == "ghp_…(40)" == preview(token)
    shown = repr(finding) + json.dumps(finding.to_dict()) + str(pickle.dumps(finding))
    assert token[4:] not in shown and token[8:20] not in shown
    assert repr(Scanner(default_ruleset(), b"super-secret-key")).count("super") == 0


def test_short_secrets_show_fewer_characters() -> None:
    assert preview("Zq8vN3kLm2") == "Zq…(10)"


def test_linenos_map_fragment_lines_to_file_lines(scanner: Scanner) -> None:
    text = f"a = 1\nT = 'npm_{rand(RNG, 'a', 36)}'\n"
    [finding] = scanner.scan_text(text, "p.py", commit="c" * 40, linenos=[10, 42])
    assert (finding.line, finding.commit) == (42, "c" * 40)


def test_provider_rule_wins_over_generic_on_the_same_value(scanner: Scanner) -> None:
    text = f'github_token = "ghp_{rand(RNG, "a", 36)}"\n'
    assert [f.rule for f in scanner.scan_text(text, "x.py")] == ["github-pat"]


def test_private_key_fingerprint_ignores_layout(scanner: Scanner) -> None:
    body = [rand(RNG, "b", 64) for _ in range(4)]
    pem = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(body) + "\n-----END RSA PRIVATE KEY-----"
    escaped = '{"key": "' + pem.replace("\n", "\\n") + '"}'
    a = scanner.scan_text(pem, "id_rsa")[0]
    b = scanner.scan_text(escaped, "sa.json")[0]
    assert a.rule == b.rule == "private-key" and a.fingerprint == b.fingerprint
    assert (a.line, a.end_line) == (1, 6)


def test_reports_are_plain_data(scanner: Scanner) -> None:
    token = "ghp_" + rand(RNG, "a", 36)
    result = ScanResult(findings=scanner.scan_text(f"x\nT={token}\n", "src/a.py", commit="d" * 40))
    data = to_json(result)
    [item] = data["findings"]
    assert {"path", "line", "rule", "fingerprint", "commit", "preview"} <= item.keys()
    assert (item["path"], item["line"], item["commit"]) == ("src/a.py", 2, "d" * 40)
    sarif = to_sarif(result)
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    run = sarif["runs"][0]
    assert run["tool"]["driver"]["rules"][0]["id"] == "github-pat"
    res = run["results"][0]
    assert res["ruleIndex"] == 0 and res["level"] == "error"
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert res["partialFingerprints"]["changegate/secret/v1"] == item["fingerprint"]
    assert token not in json.dumps(data) + json.dumps(sarif)
    assert to_json(ScanResult()) == {
        "findings": [],
        "notes": [],
        "stats": {"files": 0, "commits": 0, "bytes": 0},
    }


def test_make_scanner_uses_repository_config(tmp_path: object) -> None:
    scanner = make_scanner(TEST_KEY)
    assert len(scanner.rules) == len(default_ruleset())


def test_importing_the_package_loads_no_engine() -> None:
    code = (
        "import sys, changegate.secrets as s; "
        "assert 're2' not in sys.modules; "
        "assert 'changegate.secrets.rules_cloud' not in sys.modules; "
        "s.Finding; assert 're2' not in sys.modules; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_rules_compile_only_when_their_keywords_appear() -> None:
    from changegate.secrets.ruleset import RuleSet, compile_regex

    rules = default_ruleset()
    fresh = RuleSet(rules.rules)
    compile_regex.cache_clear()
    Scanner(fresh, TEST_KEY).scan_text("nothing to see here\n", "a.txt")
    assert compile_regex.cache_info().currsize < 10
