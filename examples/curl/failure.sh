#!/usr/bin/env bash
# Local stack only: a prompt tag makes the emulator fail the job, so the failure path can be seen.
set -euo pipefail
ENDPOINTS=${FRAMEBRIDGE_DATA_DIR:-.framebridge}/endpoints.json # written by `npm run dev`
API=${FRAMEBRIDGE_API:-$(jq -r .apiUrl "$ENDPOINTS")}
KEY=${FRAMEBRIDGE_KEY:-$(jq -r '.apiKeys[0]' "$ENDPOINTS")}
HERE=$(dirname "$0")

BODY=$(jq -n --arg first "$("$HERE/upload.sh" "$HERE/../frames/first.png")" \
  --arg last "$("$HERE/upload.sh" "$HERE/../frames/last.png")" \
  '{prompt: "dawn to dusk [emulate:failed]", first_frame_url: $first, last_frame_url: $last}')
ID=$(curl -fsS "$API/v2/pixverse-5-transition" -H "x-api-key: $KEY" -H 'content-type: application/json' \
  -d "$BODY" | jq -r .request_id) # accepted (202) like any other job

until STATUS=$(curl -sS "$API/v2/requests/$ID/status" -H "x-api-key: $KEY") &&
  [[ $(jq -r .status <<<"$STATUS") =~ ^(COMPLETED|FAILED)$ ]]; do sleep 1; done
jq '{status, phase, error_code, error}' <<<"$STATUS"
curl -sS -o /dev/null -w 'GET /v2/requests/{id} → HTTP %{http_code}\n' "$API/v2/requests/$ID" -H "x-api-key: $KEY"
[[ $(jq -r .status <<<"$STATUS") == FAILED ]]
