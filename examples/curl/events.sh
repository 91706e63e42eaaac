#!/usr/bin/env bash
# Submits a transition and follows its progress over Server-Sent Events until the stream closes.
set -euo pipefail
ENDPOINTS=${FRAMEBRIDGE_DATA_DIR:-.framebridge}/endpoints.json # written by `npm run dev`
API=${FRAMEBRIDGE_API:-$(jq -r .apiUrl "$ENDPOINTS")}
KEY=${FRAMEBRIDGE_KEY:-$(jq -r '.apiKeys[0]' "$ENDPOINTS")}
HERE=$(dirname "$0")

BODY=$(jq -n --arg first "$("$HERE/upload.sh" "$HERE/../frames/first.png")" \
  --arg last "$("$HERE/upload.sh" "$HERE/../frames/last.png")" \
  '{prompt: "a slow dissolve from dawn to dusk", first_frame_url: $first, last_frame_url: $last}')
ID=$(curl -fsS "$API/v2/pixverse-5-transition" -H "x-api-key: $KEY" -H 'content-type: application/json' \
  -d "$BODY" | jq -r .request_id)

# -N: print each event as it arrives. The server closes the stream after COMPLETED or FAILED.
curl -fsSN "$API/v2/requests/$ID/events" -H "x-api-key: $KEY"
# To resume after a dropped connection, send the last id seen:  -H 'Last-Event-ID: 3'
