#!/usr/bin/env bash
# Runs the pinned pnpm without needing it installed globally (no corepack: see CONTRIBUTING.md).
set -euo pipefail
PNPM_VERSION=12.4.2
if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
  exec pnpm "$@"
fi
exec npx --yes "pnpm@$PNPM_VERSION" "$@"
