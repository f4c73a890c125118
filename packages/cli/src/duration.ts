/**
 * Durations on the command line: `--expires-in 30d`, `--grace 24h`, `--grace 15m`.
 *
 * The grammar is deliberately small and strict: one whole number followed by one unit, no spaces,
 * no signs, no fractions, no combinations (`1d12h`), no bare numbers (is `30` seconds or days?).
 * Anything else is refused, so a typo never turns into a key that lives far longer than meant.
 */
import { UsageError } from './errors.js';

const UNITS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/**
 * The longest duration accepted: 100 years (a larger value is surely a typo).
 * @example
 * parseDuration('36500d', '--expires-in') === MAX_DURATION_MS; // true
 */
export const MAX_DURATION_MS = 36_500 * UNITS.d;

const PATTERN = /^(\d{1,9})([smhdw])$/;

/**
 * Parses `<whole number><unit>` where unit is `s`, `m`, `h`, `d` or `w`, into milliseconds.
 * Throws {@link UsageError} (exit code 2) for anything else, for zero unless `allowZero`, and for
 * more than {@link MAX_DURATION_MS}. `flag` names the option in the error line.
 * @example
 * parseDuration('30d', '--expires-in'); // 2_592_000_000
 * parseDuration('0m', '--grace', { allowZero: true }); // 0
 */
export function parseDuration(value: string, flag: string, options: { allowZero?: boolean } = {}): number {
  const match = PATTERN.exec(value);
  if (!match) {
    throw new UsageError(
      `${flag} must be a whole number followed by s, m, h, d or w (e.g. 30d, 24h, 15m); got ${JSON.stringify(value)}.`,
    );
  }
  const ms = Number(match[1]) * UNITS[match[2] as keyof typeof UNITS];
  if (ms === 0 && !options.allowZero) throw new UsageError(`${flag} must be longer than zero.`);
  if (ms > MAX_DURATION_MS) throw new UsageError(`${flag} must be at most 36500d (100 years).`);
  return ms;
}

/**
 * Formats milliseconds back into the largest exact unit, for messages.
 * @example
 * formatDuration(86_400_000); // '1d'
 * formatDuration(90 * 60_000); // '90m'
 */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm'] as const) {
    if (ms > 0 && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
