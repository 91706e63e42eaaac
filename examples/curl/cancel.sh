#!/usr/bin/env bash
# Cancels a running job; a second cancel of the finished job answers 409.
set -euo pipefail
ENDPOINTS=${FRAMEBRIDGE_DATA_DIR:-.framebridge}/endpoints.json # written by `npm run dev`
API=${FRAMEBRIDGE_API:-$(jq -r .apiUrl "$ENDPOINTS")}
KEY=${FRAMEBRIDGE_KEY:-$(jq -r '.apiKeys[0]' "$ENDPOINTS")}
HERE=$(dirname "$0")

BODY=$(jq -n --arg first "$("$HERE/upload.sh" "$HERE/../frames/first.png")" \
  --arg last "$("$HERE/upload.sh" "$HERE/../frames/last.png")" \
  '{prompt: "dawn to dusk", first_frame_url: $first, last_frame_url: $last}')
ID=$(curl -fsS "$API/v2/pixverse-5-transition" -H "x-api-key: $KEY" -H 'content-type: application/json' \
  -d "$BODY" | jq -r .request_id)

curl -fsS -X DELETE "$API/v2/requests/$ID" -H "x-api-key: $KEY" | jq '{status, error_code, note}'
curl -sS -o /dev/null -w 'cancel again → HTTP %{http_code}\n' -X DELETE "$API/v2/requests/$ID" -H "x-api-key: $KEY"
