"""Schemathesis hooks for the suite's OpenAPI documents (used by Tests/EndToEndTests/SchemathesisTests).

Internal routes carry the service token (`-H Authorization: Bearer …` on the command line). The
connectors' routes are signed: `DMS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
"<t>.<raw body>")>` over the exact bytes sent, so the body is serialized here, signed, and sent as
those bytes. Secrets come from the environment the test passes (DMS_INGEST_SECRET_*).
"""
import hashlib
import hmac
import json
import os
import time

import hypothesis.internal.lambda_sources as _lambda_sources
import schemathesis

# Hypothesis describes filter lambdas by parsing their source; on this machine's CPython 3.11 that
# parse can fail with "SystemError: AST constructor recursion depth mismatch", which schemathesis
# reports as an error of the run. The description is only cosmetic: fall back to a plain name.
_describe = _lambda_sources.lambda_description


def _safe_description(f):
    try:
        return _describe(f)
    except (SystemError, RecursionError, SyntaxError):
        return "lambda"


_lambda_sources.lambda_description = _safe_description


@schemathesis.serializer("message/rfc822")
def _mail(ctx, value):
    """A mail as generated (any JSON value): its text as the raw message."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return (value if isinstance(value, str) else json.dumps(value)).encode("utf-8", "surrogatepass")

SIGNED = {
    "/v1/telephony/": "DMS_INGEST_SECRET_PBX",
    "/v1/forms/": "DMS_INGEST_SECRET_FORMS",
    "/v1/mail/": "DMS_INGEST_SECRET_MAIL",
}


def _signature(body: bytes, secret: str) -> str:
    t = str(int(time.time()))
    mac = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@schemathesis.hook
def before_call(context, case, kwargs):
    path = case.operation.path
    case.headers = dict(case.headers or {})
    if path.startswith("/v1/dealer/"):
        # The dealer portal takes a dealer's own key, never the service token.
        case.headers["Authorization"] = "Bearer " + os.environ.get("DMS_TEST_DEALER_KEY", "")
        return
    case.headers["Authorization"] = "Bearer " + os.environ.get("DMS_SERVICE_TOKEN", "")
    if path.startswith("/v1/chat/webhook/"):
        # The chat provider cannot sign: the secret is the token in its URL.
        case.path_parameters = dict(case.path_parameters or {})
        case.path_parameters["token"] = os.environ.get("DMS_INGEST_CHAT_TOKEN", "")
        return
    secret_name = next((name for prefix, name in SIGNED.items() if path.startswith(prefix)), None)
    if secret_name is None:
        return
    secret = os.environ.get(secret_name, "")
    body = case.body
    if body is None or type(body).__name__ == "NotSet":
        raw = b""
    elif isinstance(body, (bytes, bytearray)):
        raw = bytes(body)
    elif isinstance(body, str):
        raw = body.encode()
    else:
        # What `requests` sends for `json=`: json.dumps with its defaults.
        raw = json.dumps(body, allow_nan=False).encode()
    case.body = raw
    case.headers = dict(case.headers or {})
    case.headers["DMS-Signature"] = _signature(raw, secret)
