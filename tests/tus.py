"""What the tus tests send: the protocol version header, the chunk type, and Upload-Metadata."""

from __future__ import annotations

import base64

TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = "application/offset+octet-stream"


def metadata(**pairs) -> str:
    """Upload-Metadata: `key base64(value)` pairs, comma-separated."""
    return ",".join(f"{key} {base64.b64encode(str(value).encode()).decode()}" for key, value in pairs.items())
