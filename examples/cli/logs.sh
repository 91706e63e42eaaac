#!/usr/bin/env bash
# Runs a job the emulator fails on purpose, then shows its execution step by step (local stack).
set -euo pipefail
cd "$(dirname "$0")/../.." # the repository: the CLI runs from here, and so does `npm run dev`
framebridge() { npx tsx cli/framebridge.ts "$@"; }
ENDPOINTS=${FRAMEBRIDGE_DATA_DIR:-.framebridge}/endpoints.json
API=${FRAMEBRIDGE_API:-$(jq -r .apiUrl "$ENDPOINTS")}
KEY=${FRAMEBRIDGE_KEY:-$(jq -r '.apiKeys[0]' "$ENDPOINTS")}

BODY=$(jq -n --arg first "$(examples/curl/upload.sh examples/frames/first.png)" \
  --arg last "$(examples/curl/upload.sh examples/frames/last.png)" \
  '{prompt: "dawn to dusk [emulate:failed]", first_frame_url: $first, last_frame_url: $last}')
ID=$(curl -fsS "$API/v2/pixverse-5-transition" -H "x-api-key: $KEY" -H 'content-type: application/json' \
  -d "$BODY" | jq -r .request_id)
until [[ $(curl -sS "$API/v2/requests/$ID/status" -H "x-api-key: $KEY" | jq -r .status) =~ ^(COMPLETED|FAILED)$ ]]; do
  sleep 1
done

framebridge logs "$ID"                                                            # the timeline; secrets show as [redacted]
framebridge logs "$ID" --json | jq -c '{outcome, job, states: [.steps[].name]}' # the same, as data
