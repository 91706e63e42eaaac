"""Uploads a frame through POST /v2/uploads and prints its s3:// URI. Standard library only.

Usage: python3 upload.py [FILE]   (default: the bundled first frame)
The other Python examples import their API calls from here.
"""

import json
import os
import sys
import urllib.request
from pathlib import Path


def local_endpoints() -> dict:
    """What `npm run dev` wrote: the API's URL, the development keys, the webhook secret..."""
    data_dir = os.environ.get("FRAMEBRIDGE_DATA_DIR", ".framebridge")
    return json.loads((Path(data_dir) / "endpoints.json").read_text())


API = os.environ.get("FRAMEBRIDGE_API") or local_endpoints()["apiUrl"]
KEY = os.environ.get("FRAMEBRIDGE_KEY") or local_endpoints()["apiKeys"][0]
TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}


def call(method: str, path: str, body: dict | None = None, headers: dict | None = None) -> dict:
    """One API call with the key; raises urllib.error.HTTPError on 4xx/5xx (its body is JSON)."""
    request = urllib.request.Request(
        API.rstrip("/") + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"x-api-key": KEY, "content-type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def upload_frame(path: Path) -> str:
    """Uploads one frame and returns its s3:// URI, ready for first_frame_url or last_frame_url."""
    data = path.read_bytes()
    upload = call(
        "POST",
        "/v2/uploads",
        {"content_type": TYPES[path.suffix.lower()], "content_length": len(data), "filename": path.name},
    )
    # The headers are signed into the URL: send exactly these, with exactly these bytes.
    put = urllib.request.Request(upload["upload_url"], data=data, headers=upload["headers"], method="PUT")
    urllib.request.urlopen(put, timeout=120).close()
    return upload["s3_uri"]


if __name__ == "__main__":
    frames = Path(__file__).resolve().parent.parent / "frames"
    print(upload_frame(Path(sys.argv[1]) if len(sys.argv) > 1 else frames / "first.png"))
