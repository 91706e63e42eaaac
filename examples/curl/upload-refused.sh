#!/usr/bin/env bash
# The upload URL signs the type and the size: S3 refuses (403) a PUT of other bytes.
set -euo pipefail
ENDPOINTS=${FRAMEBRIDGE_DATA_DIR:-.framebridge}/endpoints.json # written by `npm run dev`
API=${FRAMEBRIDGE_API:-$(jq -r .apiUrl "$ENDPOINTS")}
KEY=${FRAMEBRIDGE_KEY:-$(jq -r '.apiKeys[0]' "$ENDPOINTS")}
FILE=$(dirname "$0")/../frames/first.png
OUT=$(mktemp -d "${TMPDIR:-/tmp}/framebridge-XXXXXX") # the only place this script writes

ASKED=$(curl -fsS "$API/v2/uploads" -H "x-api-key: $KEY" -H 'content-type: application/json' \
  -d "{\"content_type\": \"image/png\", \"content_length\": $(wc -c <"$FILE" | tr -d ' '), \"filename\": \"first.png\"}")
jq . <<<"$ASKED"
head -c 1000 "$FILE" >"$OUT/short.png" # fewer bytes than were asked for
curl -sS -o /dev/null -w 'short file → HTTP %{http_code}\n' -X PUT "$(jq -r .upload_url <<<"$ASKED")" \
  -H 'content-type: image/png' --data-binary @"$OUT/short.png"
curl -sS -o /dev/null -w 'whole file → HTTP %{http_code}\n' -X PUT "$(jq -r .upload_url <<<"$ASKED")" \
  -H 'content-type: image/png' --data-binary @"$FILE"
