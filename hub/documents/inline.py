"""Which stored documents the browser may show itself (the preview next to the download), and the headers both carry.

Only types whose rendering runs no script of the document: PDF and the PNG and JPEG images. Never HTML or SVG (the
vault does not accept them either; this list is the second fence). The type served is the one the sniffer found at
upload (hub.documents.sniff), never the name's or the browser's guess: ``nosniff`` holds it to that.
"""

from __future__ import annotations

from hub.documents.sniff import JPEG, PDF, PNG

PREVIEW_TYPES: frozenset[str] = frozenset(kind.content_type for kind in (PDF, PNG, JPEG))

# ``sandbox`` (no allow-* flags): the document is a unique origin, runs no script, submits no form, opens no window.
DOCUMENT_CSP = "sandbox; default-src 'none'"


def may_preview(content_type: str) -> bool:
    return content_type in PREVIEW_TYPES


def document_headers(size: int, disposition: str) -> dict[str, str]:
    """The headers of a document's response (download and preview)."""
    return {
        "Content-Disposition": disposition,
        "Content-Length": str(size),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "Content-Security-Policy": DOCUMENT_CSP,
        "Cross-Origin-Resource-Policy": "same-origin",
    }
