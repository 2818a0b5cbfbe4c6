"""The JSONPath subset: steps, lookups, and the equality rules of assertions."""

from __future__ import annotations

import pytest

from changegate.core.policy import JsonAssertion
from changegate.smoke.jsonpath import check, lookup, steps

DOC = {"a": {"b c": [10, {"d": True}]}, "n": 1, "z": None}


def test_steps():
    assert steps("$") == []
    assert steps('$.a["b c"][1].d') == ["a", "b c", 1, "d"]
    assert steps("$.a-b._c[-1]") == ["a-b", "_c", -1]
    with pytest.raises(ValueError):
        steps("$..a")


def test_lookup():
    assert lookup(DOC, '$.a["b c"][1].d') == (True, True)
    assert lookup(DOC, '$.a["b c"][-2]') == (True, 10)
    assert lookup(DOC, "$.z") == (True, None)
    assert lookup(DOC, '$.a["b c"][5]') == (False, None)
    assert lookup(DOC, "$.n.x") == (False, None)
    assert lookup(DOC, "$.a[0]") == (False, None)
    assert lookup(DOC, "$") == (True, DOC)


def test_equality_keeps_json_types_apart():
    assert check({"v": 1.0}, JsonAssertion(path="$.v", equals=1)) is None
    assert check({"v": True}, JsonAssertion(path="$.v", equals=1)) is not None
    assert check({"v": 1}, JsonAssertion(path="$.v", one_of=[True, "1"])) is not None
    assert check({"v": [1, 2]}, JsonAssertion(path="$.v", equals=[1, 2])) is None
