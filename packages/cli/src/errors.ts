/**
 * The CLI's one failure type. Every refusal (bad input, unreachable database, unknown id) is a
 * {@link UsageError}: the runner prints its message as exactly one line on stderr and exits with 2.
 */

/**
 * Exit code for success.
 * @example
 * process.exitCode = EXIT_OK;
 */
export const EXIT_OK = 0;
/**
 * Exit code for anything refused: bad input, unreachable database, unknown id. Nothing was changed.
 * @example
 * if ((await runCli(argv, io)) === EXIT_USAGE) console.error('refused');
 */
export const EXIT_USAGE = 2;
/**
 * Exit code for an unexpected internal failure (a bug): still one line, never a stack trace.
 * @example
 * if (code === EXIT_INTERNAL) reportBug();
 */
export const EXIT_INTERNAL = 1;

/**
 * A refusal with a one-line, human-readable reason. Never put a key, a hash or a password in it.
 * @example
 * throw new UsageError('--name is required.');
 */
export class UsageError extends Error {
  /** The process exit code (2). */
  readonly exitCode = EXIT_USAGE;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters on purpose
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/**
 * Squeezes any text onto one printable line: control characters (newlines, escapes that could
 * drive a terminal) become spaces, runs of spaces collapse, and the result is capped in length.
 * @example
 * oneLine('a\nb\u001b[2J'); // 'a b [2J'
 */
export function oneLine(text: string, max = 500): string {
  const flat = text.replace(CONTROL, ' ').replace(/ {2,}/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * The first driver error code (`ECONNREFUSED`, `SQLITE_CANTOPEN`, `28P01`, …) along an error's
 * `cause` chain, or undefined. Codes are safe to print; driver messages may not be.
 * @example
 * errorCode(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })); // 'ECONNREFUSED'
 */
export function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) && !code.startsWith('ERR_')) return code;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = errorCode(errors[0]);
      if (inner) return inner;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
