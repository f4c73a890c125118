#!/usr/bin/env bash
# Runs the pinned pnpm without needing it installed globally (no corepack: see CONTRIBUTING.md):
# the repository's own copy once installed, else a global one of the same version, else through npx.
set -euo pipefail
PNPM_VERSION=12.4.2
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ -x "$ROOT/node_modules/.bin/pnpm" ] && [ "$("$ROOT/node_modules/.bin/pnpm" --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
  exec "$ROOT/node_modules/.bin/pnpm" "$@"
fi
if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
  exec pnpm "$@"
fi
exec npx --yes "pnpm@$PNPM_VERSION" "$@"
