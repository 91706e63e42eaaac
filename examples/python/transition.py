"""Submits a transition with an Idempotency-Key, polls it and downloads the MP4. Standard library only."""

import json
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in examples/ from the import below
from upload import call, upload_frame  # noqa: E402 (upload.py, beside this file)

frames = Path(__file__).resolve().parent.parent / "frames"
body = {
    "prompt": "a slow dissolve from dawn to dusk",
    "first_frame_url": upload_frame(frames / "first.png"),
    "last_frame_url": upload_frame(frames / "last.png"),
    "quality": "540p",
}
# Safe to resend after a timeout: the same key and body answer the same job, never a second one.
job = call("POST", "/v2/pixverse-5-transition", body, {"Idempotency-Key": str(uuid.uuid4())})
print("submitted", job["request_id"])

while True:
    try:
        status = call("GET", f"/v2/requests/{job['request_id']}/status")
    except urllib.error.HTTPError as answer:
        if answer.code != 422:  # a FAILED job is served as 422 with its error; anything else is an error
            raise
        status = json.load(answer)
    print(status["status"], status["phase"])
    if status["status"] == "FAILED":
        raise SystemExit(f"failed: {status['error_code']}: {status['error']}")
    if status["status"] == "COMPLETED":
        break
    time.sleep(2)

output = call("GET", f"/v2/requests/{job['request_id']}")["output"]
target = Path(tempfile.mkdtemp(prefix="framebridge-")) / "transition.mp4"
with urllib.request.urlopen(output["video_url"], timeout=120) as video:  # presigned, minted per read
    target.write_bytes(video.read())
print("wrote", target, "from", output["s3_uri"])
