"""Security headers on every response of the web UI, and a script nonce in its HTML pages.

    send = with_security_headers(send, method)   # inside an ASGI middleware

Every response says `X-Frame-Options: DENY` (no other site may frame the app and trick a click),
`X-Content-Type-Options: nosniff` (a file is never run as a script because it looks like one) and
`Referrer-Policy: no-referrer`. HTML pages (Gradio's index page, which is also its login page)
get a Content-Security-Policy that lets scripts run only from this server or with the page's
own nonce, and lets the page load images, fonts and data only from this server (or `data:` /
`blob:` URLs it made itself): a title that did slip through as markup could neither run code nor
send anything elsewhere. Gradio writes its config into inline `<script>` elements, so the page is
buffered (about 25 KB) and each `<script` tag of Gradio's template is given the nonce; nothing
else is buffered, so event streams flow as before. Other responses get a policy that allows
nothing at all, should a browser ever open one as a page.

Styles stay 'unsafe-inline': Svelte sets style attributes, and CSS cannot run code.
"""

from __future__ import annotations

import re
import secrets

from starlette.types import Message, Send

FRAME_AND_SNIFF = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' blob:; connect-src 'self'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"
_SCRIPT_TAG = re.compile(rb"<script(?=[\s>])")
_OWN = {b"x-frame-options", b"x-content-type-options", b"referrer-policy", b"content-security-policy"}


def with_security_headers(send: Send, method: str) -> Send:
    """`send` with the headers added; an HTML page is held until complete and given a nonce."""
    held: list[Message] = []
    body = bytearray()

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _OWN]
            if _is_html(headers) and method == "GET":
                held.append({**message, "headers": headers})
                return
            policy = OTHER_POLICY if not _is_html(headers) else PAGE_POLICY.format(nonce=secrets.token_urlsafe(16))
            await send(
                {**message, "headers": [*headers, *FRAME_AND_SNIFF, (b"content-security-policy", policy.encode())]}
            )
            return
        if not held or message["type"] != "http.response.body":
            await send(message)
            return
        body.extend(message.get("body", b""))
        if message.get("more_body", False):
            return
        await _send_page(send, held[0], bytes(body))

    return wrapped


async def _send_page(send: Send, start: Message, body: bytes) -> None:
    nonce = secrets.token_urlsafe(16)
    page = _SCRIPT_TAG.sub(f'<script nonce="{nonce}"'.encode(), body)
    headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
    headers += [
        (b"content-length", str(len(page)).encode()),
        *FRAME_AND_SNIFF,
        (b"content-security-policy", PAGE_POLICY.format(nonce=nonce).encode()),
    ]
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": page, "more_body": False})


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"content-type" and v.lower().startswith(b"text/html") for k, v in headers)
