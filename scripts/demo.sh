#!/usr/bin/env bash
# `npm run demo`: install everything, build, and start the Express demo on its embedded defaults
# (dev issuer in-process, SQLite in apps/demo-express/data, a generated development certificate).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d /usr/include/node ] && export npm_config_nodedir="${npm_config_nodedir:-/usr}"
export TURBO_TELEMETRY_DISABLED=1
bash scripts/pnpm.sh install --frozen-lockfile
bash scripts/pnpm.sh exec turbo run build --filter=@restguard/demo-express... --output-logs=errors-only
exec bash scripts/pnpm.sh --filter @restguard/demo-express start
