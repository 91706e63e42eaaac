#!/usr/bin/env bash
# Issues an API key for a new tenant, uses it, rotates it and revokes the old one (local stack).
set -euo pipefail
cd "$(dirname "$0")/../.." # the repository: the CLI runs from here, and so does `npm run dev`
framebridge() { npx tsx cli/framebridge.ts "$@"; }
ENDPOINTS=${FRAMEBRIDGE_DATA_DIR:-.framebridge}/endpoints.json
API=${FRAMEBRIDGE_API:-$(jq -r .apiUrl "$ENDPOINTS")}
TENANT=acme-$RANDOM # tenant names: lower-case letters, digits, - and _

OLD=$(framebridge keys create --tenant "$TENANT" --max-active-jobs 5 --json) # the key is shown only here
curl -fsS "$API/v2/requests" -H "x-api-key: $(jq -r .apiKey <<<"$OLD")" # → {"requests":[],"next_cursor":null}
echo

NEW=$(framebridge keys create --tenant "$TENANT" --json) # rotate: hand out the new key first…
framebridge keys revoke "$(jq -r .keyId <<<"$OLD")"        # …then revoke the old one
framebridge keys list --tenant "$TENANT"
curl -sS -o /dev/null -w 'old key → HTTP %{http_code}\n' "$API/v2/requests" -H "x-api-key: $(jq -r .apiKey <<<"$OLD")"
curl -sS -o /dev/null -w 'new key → HTTP %{http_code}\n' "$API/v2/requests" -H "x-api-key: $(jq -r .apiKey <<<"$NEW")"
