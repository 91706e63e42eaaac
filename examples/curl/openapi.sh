#!/usr/bin/env bash
# The OpenAPI 3.1 document (no key needed), generated from the schemas the handlers validate with.
set -euo pipefail
ENDPOINTS=${FRAMEBRIDGE_DATA_DIR:-.framebridge}/endpoints.json # written by `npm run dev`
API=${FRAMEBRIDGE_API:-$(jq -r .apiUrl "$ENDPOINTS")}

curl -fsS "$API/openapi.json" | jq '{openapi, servers, paths: (.paths | keys)}'
