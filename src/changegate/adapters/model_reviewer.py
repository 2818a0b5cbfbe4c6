"""An independent model as the adversarial reviewer (policy §1: "an independent model or
engineer is asked to find what's wrong with the change before approving it").

Two ways to reach one: a command (the diff on stdin, JSON findings on stdout)
or an OpenAI-compatible chat-completions endpoint (URL, model, key from an
environment variable). Either way the answer must be JSON of the form
``{"findings": [{"title": ..., "detail": ..., "severity": ...}]}``; anything
else is an error that blocks, never a silent pass.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

from changegate.adapters.proc import run
from changegate.core.policy import ModelReviewer
from changegate.errors import EnvironmentProblem

PROMPT = (
    "You are an adversarial code reviewer. Find what is wrong with this change before it is "
    "approved: correctness bugs, security weaknesses, schema and data-loss risks, and "
    "violations of the change-management policy. Answer with JSON only: "
    '{"findings": [{"title": "...", "detail": "...", "severity": "high|medium|low"}]}. '
    'Answer {"findings": []} if you find nothing.'
)
MAX_DIFF = 200_000  # characters sent; a larger diff is cut, and the evidence says so


@dataclass(frozen=True)
class ModelReview:
    model: str  # name and version as the model reported it (evidence)
    findings: tuple[str, ...]
    truncated: bool


class ModelError(EnvironmentProblem):
    """The model could not give a usable answer (unreachable, timeout, malformed)."""


def _parse(text: str, source: str) -> list[str]:
    body = text.strip()
    fenced = re.match(r"^```(?:json)?\s*(.*?)\s*```$", body, re.S)
    if fenced:
        body = fenced.group(1)
    try:
        data = json.loads(body)
        items = data["findings"]
        if not isinstance(items, list):
            raise TypeError("findings is not a list")
        out = []
        for item in items:
            if isinstance(item, str):
                out.append(item)
            else:
                title = str(item.get("title") or item.get("message") or "").strip()
                severity = str(item.get("severity", "")).strip()
                detail = str(item.get("detail", "")).strip()
                if not title:
                    raise ValueError("a finding without a title")
                out.append(
                    f"[{severity}] {title}" + (f": {detail}" if detail else "")
                    if severity
                    else title + (f": {detail}" if detail else "")
                )
        return out
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelError(
            f"{source}: the model's answer is not the expected JSON findings "
            f"({exc}); the adversarial review cannot pass on it"
        ) from exc


def review(cfg: ModelReviewer, diff: str) -> ModelReview:
    truncated = len(diff) > MAX_DIFF
    diff = diff[:MAX_DIFF]
    if cfg.command:
        res = run(cfg.command, input=diff.encode(), timeout=cfg.timeout_seconds)
        if not res.ok:
            raise ModelError(
                f"model command {cfg.command[0]} exited {res.returncode}: {res.err.strip()[:200]}"
            )
        name = cfg.model or cfg.command[0]
        try:
            reported = json.loads(res.out).get("model")
        except (ValueError, AttributeError):
            reported = None
        return ModelReview(str(reported or name), tuple(_parse(res.out, cfg.command[0])), truncated)
    assert cfg.endpoint and cfg.model
    key = os.environ.get(cfg.api_key_env, "") if cfg.api_key_env else ""
    if cfg.api_key_env and not key:
        raise ModelError(f"{cfg.api_key_env} is not set: the model endpoint needs its key")
    body = json.dumps(
        {
            "model": cfg.model,
            "temperature": 0,
            "messages": [{"role": "system", "content": PROMPT}, {"role": "user", "content": diff}],
        }
    ).encode()
    request = urllib.request.Request(
        cfg.endpoint,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {key}"} if key else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=cfg.timeout_seconds) as resp:
            answer = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raise ModelError(f"model endpoint answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelError(
            f"model endpoint {cfg.endpoint} unreachable or too slow ({reason})"
        ) from exc
    except ValueError as exc:
        raise ModelError("model endpoint did not answer JSON") from exc
    try:
        content = answer["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise ModelError("model endpoint's answer has no choices[0].message.content") from exc
    model = str(answer.get("model") or cfg.model)
    return ModelReview(model, tuple(_parse(str(content), cfg.endpoint)), truncated)
