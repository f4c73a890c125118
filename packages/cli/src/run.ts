/**
 * The command runner: words → command → exit code. It never throws and never prints a stack trace:
 * a refusal is exactly one line on stderr and exit code 2; success is exit code 0.
 */
import { type CommandSpec, commandHelp, type ParsedCommand, parseCommand } from './args.js';
import { CERTS_HELP, certsCommands, runCertsCommand } from './certs.js';
import { checkSpec, runCheckCommand } from './check.js';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, errorCode, oneLine, UsageError } from './errors.js';
import { type KeysCommand, runKeysCommand } from './keys.js';
import { runSessionsEnd, sessionsEndSpec } from './sessions.js';
import { keysCommands } from './specs.js';
import { runTokenCommand, tokenSpec } from './token.js';
import { VERSION } from './version.js';

/**
 * Where the CLI reads and writes. The binary passes the real process; tests may pass their own.
 * @example
 * const out: string[] = [];
 * const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => out.push(t), env: {}, cwd: '/' };
 */
export interface CliIo {
  /** Receives what the command prints on success. */
  readonly stdout: (text: string) => void;
  /** Receives the one-line refusal. */
  readonly stderr: (text: string) => void;
  /** Environment variables (`DATABASE_URL`, `RESTGUARD_API_KEY_PREFIX`, peppers). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory relative `sqlite:` paths are resolved against. */
  readonly cwd: string;
}

const MAIN_HELP = `Usage: restguard <command> [options]

Manage restguard API keys (shown once, at creation; only their hashes are stored), and get
development access tokens.

Commands:
  keys create   --name NAME --permissions read,write [--expires-in 30d] [--rate 100/min] [--json]
  keys list     [--all] [--json]
  keys revoke   ID [--json]
  keys rotate   ID [--grace 24h] [--json]
  keys update   ID --rate 100/min|none [--json]
  certs allow   --name NAME --permissions read (--cert FILE | --thumbprint X | --san dns:NAME | --subject DN) [--json]
  certs list    [--all] [--json]
  certs revoke  ID [--json]
                Client certificates (verified by the server) as principals with permissions.
  sessions end  --sub SUBJECT [--for 8h] [--json]
                Ends every browser session of a user on every instance sharing the database.
  token         --issuer URL --client-id ID [--scope read,write] [--resource URL] [--json]
                A development access token (client credentials; secret in RESTGUARD_CLIENT_SECRET).
  check         --issuer URL [--jwks-uri URL] [--json]
                Resolves the issuer's discovery metadata and JWKS now and says what is wrong
                (issuer mismatch, DNS, TLS, HTTP status, timeout, JSON shape).
  help [COMMAND]  Show help (also: restguard keys create --help).
  --version     Print the version.

Every keys, certs and sessions command takes --db URL: sqlite:PATH, postgres://… or postgresql://…
(default: the DATABASE_URL environment variable).

Environment:
  DATABASE_URL                 The API-key database when --db is not given.
  RESTGUARD_API_KEY_PREFIX     Prefix of new keys (default rg_live).
  RESTGUARD_CLIENT_SECRET      The client secret for \`restguard token\`.
  RESTGUARD_API_KEY_PEPPER     The application's current pepper as ID:SECRET (secret >= 32 bytes),
                               so new keys are hashed with HMAC-SHA256 like the app expects. Never
                               a flag: flags end up in shell history and process lists.

Exit codes: 0 done; 2 refused (bad input, unreachable database, unknown id): nothing was changed.
`;

const KEYS_HELP = `Usage: restguard keys <create|list|revoke|rotate|update> [options]

Run restguard keys <command> --help for a command's options.
`;

/**
 * Runs the CLI with `argv` (the words after `restguard`) and returns the exit code.
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), {
 *   stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t),
 *   env: process.env, cwd: process.cwd(),
 * });
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`restguard: ${oneLine(err.message)}\n`);
      return EXIT_USAGE;
    }
    const code = errorCode(err);
    io.stderr(`restguard: unexpected internal error${code ? ` (${code})` : ''}; please report it.\n`);
    return EXIT_INTERNAL;
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, second, ...rest] = argv;
  if (first === undefined) throw new UsageError('missing command; run `restguard --help`.');
  if (first === '--help' || first === '-h') return help(io, argv.slice(1));
  if (first === 'help') return help(io, argv.slice(1));
  if (first === '--version' || first === '-V') {
    if (argv.length > 1) throw new UsageError('--version takes no other arguments.');
    io.stdout(`${VERSION}\n`);
    return EXIT_OK;
  }
  if (first === 'check') return runParsed(checkSpec, argv.slice(1), io, runCheckCommand);
  if (first === 'token') return runParsed(tokenSpec, argv.slice(1), io, runTokenCommand);
  if (first === 'certs') return dispatchCerts(second, rest, io);
  if (first === 'sessions') {
    if (second !== 'end') throw new UsageError('sessions: unknown command (use end).');
    return runParsed(sessionsEndSpec, rest, io, runSessionsEnd);
  }
  if (first === 'keys') return dispatchKeys(second, rest, io);
  if (first.startsWith('-'))
    throw new UsageError(`unknown option ${safeWord(first)}; run \`restguard --help\`.`);
  throw new UsageError(`unknown command ${safeWord(first)}; run \`restguard --help\`.`);
}

/** Parses `words` against `spec`; prints the command's help for `--help`, else runs it. */
function runParsed(
  spec: CommandSpec,
  words: readonly string[],
  io: CliIo,
  runCommand: (parsed: ParsedCommand, io: CliIo) => Promise<number>,
): Promise<number> {
  const parsed = parseCommand(spec, words);
  if (parsed.values.help) {
    io.stdout(commandHelp(spec));
    return Promise.resolve(EXIT_OK);
  }
  return runCommand(parsed, io);
}

/** `restguard certs <allow|list|revoke> …`. */
function dispatchCerts(command: string | undefined, words: readonly string[], io: CliIo): Promise<number> {
  if (command === undefined) throw new UsageError('certs: missing command (allow, list or revoke).');
  if (command === '--help' || command === '-h') {
    io.stdout(CERTS_HELP);
    return Promise.resolve(EXIT_OK);
  }
  const spec = Object.hasOwn(certsCommands, command) ? certsCommands[command] : undefined;
  if (!spec) throw new UsageError(`certs: unknown command ${safeWord(command)} (use allow, list or revoke).`);
  return runParsed(spec, words, io, (parsed) =>
    runCertsCommand(command as 'allow' | 'list' | 'revoke', parsed, io),
  );
}

/** `restguard keys <create|list|revoke|rotate|update> …`. */
function dispatchKeys(command: string | undefined, words: readonly string[], io: CliIo): Promise<number> {
  if (command === undefined)
    throw new UsageError('keys: missing command (create, list, revoke, rotate or update).');
  if (command === '--help' || command === '-h') {
    io.stdout(KEYS_HELP);
    return Promise.resolve(EXIT_OK);
  }
  const spec = Object.hasOwn(keysCommands, command) ? keysCommands[command] : undefined;
  if (!spec) {
    throw new UsageError(
      `keys: unknown command ${safeWord(command)} (use create, list, revoke, rotate or update).`,
    );
  }
  return runParsed(spec, words, io, (parsed) => runKeysCommand(command as KeysCommand, parsed, io));
}

function help(io: CliIo, words: readonly string[]): number {
  const [group, command, ...extra] = words.filter((w) => w !== '--help' && w !== '-h');
  if (group === undefined) io.stdout(MAIN_HELP);
  else if (group === 'token' && command === undefined) io.stdout(commandHelp(tokenSpec));
  else if (group === 'check' && command === undefined) io.stdout(commandHelp(checkSpec));
  else if (group === 'sessions' && command === 'end' && !extra.length)
    io.stdout(commandHelp(sessionsEndSpec));
  else if (group === 'keys' && command === undefined) io.stdout(KEYS_HELP);
  else if (group === 'certs' && command === undefined) io.stdout(CERTS_HELP);
  else if (
    group === 'certs' &&
    command !== undefined &&
    Object.hasOwn(certsCommands, command) &&
    !extra.length
  ) {
    io.stdout(commandHelp(certsCommands[command]!));
  } else if (
    group === 'keys' &&
    command !== undefined &&
    Object.hasOwn(keysCommands, command) &&
    !extra.length
  ) {
    io.stdout(commandHelp(keysCommands[command]!));
  } else {
    throw new UsageError(`help: unknown command ${safeWord(words.join(' '))}; run \`restguard --help\`.`);
  }
  return EXIT_OK;
}

/** A word from the command line, quoted for an error line only when it is short and plain. */
function safeWord(word: string): string {
  return word.length <= 40 && /^[\w .:/-]+$/.test(word) ? `"${word}"` : '(not shown)';
}
