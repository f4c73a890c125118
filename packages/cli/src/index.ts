// Public API of @restguard/cli: the runner behind the `restguard` binary (to embed its commands in
// another tool or drive them in-process) and the parsers whose rules it documents. This file only
// re-exports; everything else in src/ is internal.

export { type DatabaseTarget, parseDatabaseUrl, resolveDatabase } from './database.js';
export { formatDuration, MAX_DURATION_MS, parseDuration } from './duration.js';
export { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, UsageError } from './errors.js';
export { type CliIo, runCli } from './run.js';
export { VERSION } from './version.js';
