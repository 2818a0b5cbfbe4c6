"""Fixtures for the scanning engine: a scanner with a test fingerprint key.

The helper modules beside this file (``secretgen``, ``secretcorpus``) are
made importable here: the project runs pytest in importlib mode, which does
not put test directories on ``sys.path``, and an ``__init__.py`` would name
this package ``secrets`` and shadow the standard library module.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from changegate.secrets.engine import Scanner
from changegate.secrets.rules import default_ruleset

sys.path.insert(0, str(Path(__file__).parent))

from secretgen import TEST_KEY


@pytest.fixture
def scanner() -> Scanner:
    return Scanner(default_ruleset(), TEST_KEY)
