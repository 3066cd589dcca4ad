"""Schemathesis hooks for OpenAPIEndToEndTests (loaded through SCHEMATHESIS_HOOKS).

Idempotency-Key: generated data reuses the same small keys ("0", "A") across operations and
bodies, and the admin API rightly answers such a reuse with 422 idempotency_key_reused (the key
names one request; draft-ietf-httpapi-idempotency-key-header). A real client makes one key per
distinct request, so every well-formed key is replaced by a fresh one before the call; malformed
keys (the negative cases, which must get 400) are left alone. Replays and reuse are covered by
the unit tests (IdempotencyTests, CallRoutesTests) and LiveCallsEndToEndTests.
"""
import re
import uuid

import schemathesis

WELL_FORMED = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str) and WELL_FORMED.match(headers[name]):
            headers[name] = "st-" + uuid.uuid4().hex
