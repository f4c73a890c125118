/**
 * Unknown option keys are refused at start-up: `createGuard({ events: … })`, a typo for `onEvent`,
 * would otherwise be silently ignored and leave the app without what it asked for.
 */
import { ConfigInvalidError } from './errors.js';

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The known option closest to an unknown one, when there is a plausible one. */
function suggestion(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const stem = lower.replace(/s$/, '');
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const other = candidate.toLowerCase();
    const d = distance(lower, other);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
    if (stem.length >= 4 && other.includes(stem) && bestDistance > 2) {
      best = candidate;
      bestDistance = 2;
    }
  }
  return bestDistance <= 2 ? best : undefined;
}

/**
 * Throws {@link ConfigInvalidError} naming the first key of `options` that is not in `known` (with
 * the closest known key as a hint). `where` prefixes the message (`createGuard`, `tokens`, …).
 * @example
 * refuseUnknownOptions({ events: () => {} }, ['onEvent', 'tokens'], 'createGuard');
 * // throws: createGuard: unknown option "events" (did you mean "onEvent"?). …
 */
export function refuseUnknownOptions(options: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const hint = suggestion(key, known);
    throw new ConfigInvalidError(
      `${where}: unknown option "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}. Known options: ${known.join(', ')}.`,
    );
  }
}
