/**
 * Deep freezing for what the token path shares between requests: cached principals and decoded
 * protected headers. Plain JSON data only (objects and arrays); a `Set` is frozen as an object.
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
