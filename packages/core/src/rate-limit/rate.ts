/**
 * Rates as people write them (`100/min`, `10/s`, `5000/day`, `20/10s`): parsed once, at start-up or in
 * the CLI, into a number of requests per window of seconds.
 */
import { ConfigInvalidError } from '../errors.js';

/** A budget: `points` requests per `windowSeconds`. */
export interface RateLimit {
  readonly points: number;
  readonly windowSeconds: number;
}

const UNITS: Readonly<Record<string, number>> = {
  s: 1,
  sec: 1,
  second: 1,
  m: 60,
  min: 60,
  minute: 60,
  h: 3600,
  hour: 3600,
  d: 86400,
  day: 86400,
};
const NAMES: readonly [number, string][] = [
  [86400, 'day'],
  [3600, 'hour'],
  [60, 'min'],
  [1, 's'],
];

/**
 * Parses `N/unit` or `N/Kunit` (units `s`, `min`, `hour`, `day` and their long forms). Throws
 * {@link ConfigInvalidError} naming the expected form; a limit is at least 1 request per 1 second to
 * 1 million per 366 days.
 * @example
 * parseRate('100/min'); // { points: 100, windowSeconds: 60 }
 * parseRate('20/10s'); // { points: 20, windowSeconds: 10 }
 */
export function parseRate(text: string): RateLimit {
  const match = /^\s*(\d{1,7})\s*\/\s*(\d{1,6})?\s*([a-z]+?)s?\s*$/i.exec(text);
  const unit = match ? (UNITS[match[3]!.toLowerCase()] ?? UNITS[`${match[3]!.toLowerCase()}s`]) : undefined;
  const points = match ? Number(match[1]) : 0;
  const windowSeconds = match && unit ? Number(match[2] ?? '1') * unit : 0;
  if (!match || !unit || points < 1 || windowSeconds < 1 || windowSeconds > 366 * 86400) {
    throw new ConfigInvalidError(
      'A rate is N/unit, e.g. 100/min, 10/s, 5000/day or 20/10s (units: s, min, hour, day).',
    );
  }
  return { points, windowSeconds };
}

/**
 * The canonical text of a rate, as stored with an API key and shown by the CLI.
 * @example
 * formatRate({ points: 100, windowSeconds: 60 }); // '100/min'
 * formatRate({ points: 20, windowSeconds: 90 }); // '20/90s'
 */
export function formatRate(limit: RateLimit): string {
  for (const [seconds, name] of NAMES) {
    if (limit.windowSeconds === seconds) return `${limit.points}/${name}`;
  }
  for (const [seconds, name] of NAMES) {
    if (limit.windowSeconds % seconds === 0) return `${limit.points}/${limit.windowSeconds / seconds}${name}`;
  }
  return `${limit.points}/${limit.windowSeconds}s`;
}

/**
 * A rate given as text or as a {@link RateLimit}, checked.
 * @example
 * toRateLimit('100/min'); // { points: 100, windowSeconds: 60 }
 */
export function toRateLimit(rate: RateLimit | string): RateLimit {
  if (typeof rate === 'string') return parseRate(rate);
  return parseRate(formatRate(rate));
}
