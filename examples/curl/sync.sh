#!/usr/bin/env bash
# The synchronous v1 route: one POST that answers the MP4 itself (or, past its wait, where to poll).
set -euo pipefail
ENDPOINTS=${FRAMEBRIDGE_DATA_DIR:-.framebridge}/endpoints.json # written by `npm run dev`
API=${FRAMEBRIDGE_API:-$(jq -r .apiUrl "$ENDPOINTS")}
KEY=${FRAMEBRIDGE_KEY:-$(jq -r '.apiKeys[0]' "$ENDPOINTS")}
HERE=$(dirname "$0")
OUT=$(mktemp -d "${TMPDIR:-/tmp}/framebridge-XXXXXX") # the only place this script writes

BODY=$(jq -n --arg first "$("$HERE/upload.sh" "$HERE/../frames/first.png")" \
  --arg last "$("$HERE/upload.sh" "$HERE/../frames/last.png")" \
  '{prompt: "a slow dissolve from dawn to dusk", first_frame_url: $first, last_frame_url: $last}')
CODE=$(curl -sS -o "$OUT/answer" -D "$OUT/headers" -w '%{http_code}' "$API/v1/pixverse-5-transition" \
  -H "x-api-key: $KEY" -H 'content-type: application/json' -d "$BODY")
case $CODE in
  200) mv "$OUT/answer" "$OUT/transition.mp4" && grep -i '^x-request-id' "$OUT/headers" &&
    echo "wrote $OUT/transition.mp4" ;;
  202) echo "still running; poll $(jq -r .status_url "$OUT/answer")" ;; # past the route's wait
  *) echo "HTTP $CODE: $(cat "$OUT/answer")" && exit 1 ;; # 422: the job FAILED; 4xx: refused
esac
