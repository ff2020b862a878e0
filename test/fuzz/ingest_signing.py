"""schemathesis hooks: sign the fuzzer's schema-valid ingest requests like a real partner would.

Unsigned, every ingest request stops at the signature check (401) and the fuzzer never reaches the
body validation and the write behind it. Schema-valid (positive) cases are therefore signed with
the partner's inbound secret (Standard Webhooks: v1 HMAC-SHA256 over "id.timestamp.body", fresh
timestamp); schema-violating (negative) cases keep whatever headers were generated, so missing and
garbled signatures stay fuzzed too. A rotation the fuzzer performs on that partner is followed,
so later cases are signed with the new secret.

Loaded by schemathesis.toml (`hooks = "ingest_signing"`); the secret comes from the environment.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import time
import uuid

import schemathesis
from schemathesis import GenerationMode

INGEST_PATH = "/v1/webhooks/{partner_id}"
ROTATE_PATH = "/v1/partners/{partner_id}/rotate-secret"

_partner_id = os.environ.get("SWITCHBOARD_FUZZ_PARTNER_ID", "")
_secret = os.environ.get("SWITCHBOARD_FUZZ_INBOUND_SECRET", "")

# A webhook-id the fuzzer generated is kept when a header can carry it as-is.
_HEADER_SAFE = re.compile(r"^[\x21-\x7e]{1,200}$")


def _key(secret: str) -> bytes:
    return base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)


def _is_signable(case) -> bool:
    if case.operation.path != INGEST_PATH or not _secret:
        return False
    if (case.path_parameters or {}).get("partner_id") != _partner_id:
        return False
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return False
    return isinstance(case.body, (dict, list, str, int, float, bool)) or case.body is None


@schemathesis.hook
def before_call(context, case, kwargs):
    if not _is_signable(case):
        return
    # The exact bytes schemathesis' JSON serializer sends (and its curl reproduction shows).
    body = json.dumps(case.body).encode("utf-8")
    headers = dict(case.headers or {})
    webhook_id = headers.get("webhook-id")
    if not isinstance(webhook_id, str) or not _HEADER_SAFE.match(webhook_id):
        webhook_id = f"msg_{uuid.uuid4().hex}"
    timestamp = str(int(time.time()))
    digest = hmac.new(_key(_secret), f"{webhook_id}.{timestamp}.".encode("utf-8") + body, hashlib.sha256).digest()
    headers.pop("x-signature", None)
    headers["webhook-id"] = webhook_id
    headers["webhook-timestamp"] = timestamp
    headers["webhook-signature"] = "v1," + base64.b64encode(digest).decode("ascii")
    case.headers = headers
    kwargs["data"] = body


@schemathesis.hook
def after_call(context, case, response):
    global _secret
    if case.operation.path != ROTATE_PATH or response.status_code != 200:
        return
    if (case.path_parameters or {}).get("partner_id") != _partner_id:
        return
    try:
        rotated = response.json().get("inbound_secret")
    except (ValueError, AttributeError):
        return
    if isinstance(rotated, str) and rotated.startswith("whsec_"):
        _secret = rotated
