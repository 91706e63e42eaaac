#!/usr/bin/env bash
# Lists this key's tenant's requests, newest first, following next_cursor page by page.
set -euo pipefail
ENDPOINTS=${FRAMEBRIDGE_DATA_DIR:-.framebridge}/endpoints.json # written by `npm run dev`
API=${FRAMEBRIDGE_API:-$(jq -r .apiUrl "$ENDPOINTS")}
KEY=${FRAMEBRIDGE_KEY:-$(jq -r '.apiKeys[0]' "$ENDPOINTS")}

QUERY="limit=2&status=COMPLETED"
for page in 1 2 3; do
  PAGE=$(curl -fsS "$API/v2/requests?$QUERY" -H "x-api-key: $KEY")
  jq -c --arg page "$page" '{page: $page, ids: [.requests[].request_id], next_cursor}' <<<"$PAGE"
  CURSOR=$(jq -r .next_cursor <<<"$PAGE")
  [[ $CURSOR == null ]] && break # the last page
  QUERY="limit=2&status=COMPLETED&cursor=$CURSOR"
done
