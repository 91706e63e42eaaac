"""Receives the signed webhook of one job and verifies it (Standard Webhooks). Standard library only.

Starts a receiver on a free loopback port, submits a job whose callback_url points at it, and
exits once the job's webhook has arrived and its signature checks out. Locally plain http and
loopback receivers are allowed; in AWS a callback_url must be https on a public host.
"""

import base64
import hashlib
import hmac
import json
import os
import queue
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in examples/ from the import below
from upload import call, local_endpoints, upload_frame  # noqa: E402 (upload.py, beside this file)

# Locally: webhookSecret of endpoints.json. In AWS: the secret named by the WebhookSigningSecretArn output.
SECRET = os.environ.get("FRAMEBRIDGE_WEBHOOK_SECRET") or local_endpoints()["webhookSecret"]
TOLERANCE_S = 5 * 60  # refuse replays of old deliveries


def verify(secret: str, headers, body: bytes) -> dict:
    """The Standard Webhooks check: HMAC-SHA256 of "<id>.<timestamp>.<body>", base64, after "v1,"."""
    key = base64.b64decode(secret[len("whsec_"):]) if secret.startswith("whsec_") else secret.encode()
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > TOLERANCE_S:
        raise ValueError("timestamp out of tolerance")
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in headers["webhook-signature"].split() if s.startswith("v1,")]
    if not any(hmac.compare_digest(expected, signature) for signature in offered):
        raise ValueError("no valid signature")
    return json.loads(body)


events: "queue.Queue[dict]" = queue.Queue()
seen: set[str] = set()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))  # verify the raw bytes
        try:
            event = verify(SECRET, self.headers, body)
        except (KeyError, ValueError):
            self.send_response(400)  # not 2xx: framebridge tries again later
            self.end_headers()
            return
        self.send_response(204)  # any 2xx within 15 s counts as delivered
        self.end_headers()
        if self.headers["webhook-id"] not in seen:  # the same id on every retry: de-duplicate on it
            seen.add(self.headers["webhook-id"])
            events.put(event)

    def log_message(self, *args):  # keep the output to the events
        pass


server = HTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()

frames = Path(__file__).resolve().parent.parent / "frames"
job = call(
    "POST",
    "/v2/pixverse-5-transition",
    {
        "prompt": "a slow dissolve from dawn to dusk",
        "first_frame_url": upload_frame(frames / "first.png"),
        "last_frame_url": upload_frame(frames / "last.png"),
        "callback_url": f"http://127.0.0.1:{server.server_port}/hook",
    },
)
event = events.get(timeout=120)
data = event["data"]
print(event["type"], data["request_id"], data["s3_uri"] or data["error"])
server.shutdown()
assert data["request_id"] == job["request_id"]
