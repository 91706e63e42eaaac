#!/usr/bin/env bash
# Uploads one frame through POST /v2/uploads and prints its s3:// URI (curl and jq).
# Usage: upload.sh [FILE]   (default: the bundled first frame)
set -euo pipefail
ENDPOINTS=${FRAMEBRIDGE_DATA_DIR:-.framebridge}/endpoints.json # written by `npm run dev`
API=${FRAMEBRIDGE_API:-$(jq -r .apiUrl "$ENDPOINTS")}
KEY=${FRAMEBRIDGE_KEY:-$(jq -r '.apiKeys[0]' "$ENDPOINTS")}
FILE=${1:-$(dirname "$0")/../frames/first.png}
case $FILE in
  *.png) TYPE=image/png ;;
  *.jpg | *.jpeg) TYPE=image/jpeg ;;
  *.webp) TYPE=image/webp ;;
  *) echo "not a PNG, JPEG or WebP: $FILE" >&2 && exit 2 ;;
esac

# 1. Ask for an upload: the type and the exact size are signed into the URL.
ASKED=$(curl -fsS "$API/v2/uploads" -H "x-api-key: $KEY" -H 'content-type: application/json' \
  -d "{\"content_type\": \"$TYPE\", \"content_length\": $(wc -c <"$FILE" | tr -d ' ')}")
# 2. PUT the bytes with exactly the headers it returned (curl sets content-length from the file).
curl -fsS -X PUT "$(jq -r .upload_url <<<"$ASKED")" -H "content-type: $TYPE" --data-binary @"$FILE" >/dev/null
jq -r .s3_uri <<<"$ASKED"
