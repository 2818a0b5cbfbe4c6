"""SARIF 2.1.0 shapes shared by every report (secrets, migrations, the whole check).

One spelling of the envelope and of a file location, so that code-scanning
uploads from each part of changegate look alike.
"""

from __future__ import annotations

from typing import Any

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://changegate.dev"


def location(path: str, line: int | None, **region: int) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": path},
            "region": {"startLine": max(line or 1, 1), **region},
        }
    }


def document(
    tool: str, version: str, rules: list[dict[str, Any]], results: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool,
                        "informationUri": INFO_URI,
                        "version": version,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
