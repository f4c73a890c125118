/**
 * What the token path shares between requests: deep freezing (cached principals, decoded protected
 * headers; plain JSON data only, objects and arrays, a `Set` is frozen as an object) and small
 * bounded memos of derived values.
 */

/**
 * Freezes `value` and everything reachable through its own enumerable properties.
 * @example
 * const principal = deepFreeze({ kind: 'token', subject, scopes, claims });
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const name in value) deepFreeze(value[name]);
  }
  return value;
}

/**
 * A small map of derived values shared between requests (decoded headers, scope sets), emptied when
 * full: an odd key costs only speed, never memory.
 * @example
 * const memo = new BoundedMemo<number>(64);
 * const length = memo.get(text) ?? memo.set(text, text.length);
 */
export class BoundedMemo<T> {
  private readonly values = new Map<string, T>();

  constructor(private readonly maxEntries: number) {}

  /** The value remembered for `key`, or undefined. */
  get(key: string): T | undefined {
    return this.values.get(key);
  }

  /** Remembers `value` for `key` (emptying the memo first when it is full) and returns it. */
  set(key: string, value: T): T {
    if (this.values.size >= this.maxEntries) this.values.clear();
    this.values.set(key, value);
    return value;
  }
}
