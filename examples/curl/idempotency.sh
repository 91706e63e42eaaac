#!/usr/bin/env bash
# Idempotency-Key: the same key and body answer the original 202 again; another body gets 409.
set -euo pipefail
ENDPOINTS=${FRAMEBRIDGE_DATA_DIR:-.framebridge}/endpoints.json # written by `npm run dev`
API=${FRAMEBRIDGE_API:-$(jq -r .apiUrl "$ENDPOINTS")}
KEY=${FRAMEBRIDGE_KEY:-$(jq -r '.apiKeys[0]' "$ENDPOINTS")}
HERE=$(dirname "$0")

BODY=$(jq -n --arg first "$("$HERE/upload.sh" "$HERE/../frames/first.png")" \
  --arg last "$("$HERE/upload.sh" "$HERE/../frames/last.png")" \
  '{prompt: "dawn to dusk", first_frame_url: $first, last_frame_url: $last}')
IDEMPOTENCY_KEY=order-$RANDOM$RANDOM # one per order you place; a UUID is fine
for prompt in "dawn to dusk" "dawn to dusk" "something else"; do
  jq --arg p "$prompt" '.prompt = $p' <<<"$BODY" |
    curl -sS -o /dev/null -D - "$API/v2/pixverse-5-transition" -H "x-api-key: $KEY" \
      -H 'content-type: application/json' -H "Idempotency-Key: $IDEMPOTENCY_KEY" --data-binary @- |
    grep -iE '^HTTP|^idempotent-replayed'
done
# → HTTP/1.1 202 Accepted
# → HTTP/1.1 202 Accepted, idempotent-replayed: true (the same job, nothing submitted twice)
# → HTTP/1.1 409 Conflict (idempotency_conflict)
