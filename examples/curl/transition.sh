#!/usr/bin/env bash
# Uploads the two example frames, submits a transition, polls until it ends, downloads the MP4.
set -euo pipefail
ENDPOINTS=${FRAMEBRIDGE_DATA_DIR:-.framebridge}/endpoints.json # written by `npm run dev`
API=${FRAMEBRIDGE_API:-$(jq -r .apiUrl "$ENDPOINTS")}
KEY=${FRAMEBRIDGE_KEY:-$(jq -r '.apiKeys[0]' "$ENDPOINTS")}
HERE=$(dirname "$0")
OUT=$(mktemp -d "${TMPDIR:-/tmp}/framebridge-XXXXXX") # the only place this script writes

BODY=$(jq -n --arg first "$("$HERE/upload.sh" "$HERE/../frames/first.png")" \
  --arg last "$("$HERE/upload.sh" "$HERE/../frames/last.png")" \
  '{prompt: "a slow dissolve from dawn to dusk", first_frame_url: $first, last_frame_url: $last, quality: "540p"}')
ID=$(curl -fsS "$API/v2/pixverse-5-transition" -H "x-api-key: $KEY" -H 'content-type: application/json' \
  -d "$BODY" | jq -r .request_id)
echo "submitted $ID"

# 200 while QUEUED or PROCESSING and once COMPLETED; a FAILED job is answered 422 with its error.
while STATUS=$(curl -sS "$API/v2/requests/$ID/status" -H "x-api-key: $KEY"); do
  echo "$STATUS" | jq -c '{status, phase}'
  case $(jq -r .status <<<"$STATUS") in
    COMPLETED) break ;;
    FAILED) jq -r '"failed: \(.error_code): \(.error)"' <<<"$STATUS" && exit 1 ;;
  esac
  sleep 2
done

RESULT=$(curl -fsS "$API/v2/requests/$ID" -H "x-api-key: $KEY")
jq '.output | {s3_uri, bytes, expires_at}' <<<"$RESULT"
curl -fsS -o "$OUT/transition.mp4" "$(jq -r .output.video_url <<<"$RESULT")" # presigned, minted per read
echo "wrote $OUT/transition.mp4"
