/**
 * An estimate of the bytes a cached value keeps alive on a 64-bit JavaScript heap (V8's layout
 * without pointer compression, which Node.js uses): object headers, property slots, strings by their
 * encoding, heap numbers, arrays, sets and dates, walked depth-first. Strings and objects reached
 * twice are counted twice, so the estimate errs on the high side; it never underestimates a principal
 * by its claims. The caches count it against their byte bound instead of a token's length.
 */

/** Bytes of one slot (a pointer or a small integer). */
const SLOT = 8;
/** A plain object's header: map, properties, elements. */
const OBJECT = 3 * SLOT;
/** A heap number (a non-small-integer number). */
const HEAP_NUMBER = 16;
/** A string's header: map, hash, length (rounded). */
const STRING = 16;
/** A Set or Map: the JS object plus its ordered hash table header. */
const COLLECTION = OBJECT + 6 * SLOT;
/** Per entry of a Set (key + chain + a bucket); a Map adds a slot for the value. */
const SET_ENTRY = 3 * SLOT;
/** Walk no deeper than this; deeper values are counted as one slot (cycles end here too). */
const MAX_DEPTH = 12;

const NOT_LATIN1 = /[\u0100-\uffff]/;

const roundUp = (n: number) => (n + 7) & ~7;

function stringBytes(value: string): number {
  const perChar = NOT_LATIN1.test(value) ? 2 : 1;
  return roundUp(STRING + value.length * perChar);
}

function numberBytes(value: number): number {
  return Number.isInteger(value) && value >= -(2 ** 30) && value < 2 ** 30 ? 0 : HEAP_NUMBER;
}

/**
 * Estimated bytes retained by `value` (its own allocations and everything it reaches, up to a depth
 * of 12). Functions and symbols count as one slot.
 * @example
 * retainedSize({ sub: 'alice', scope: 'read write' }); // ≈ 24 + 2 × 8 + two strings
 */
export function retainedSize(value: unknown, depth = 0): number {
  switch (typeof value) {
    case 'string':
      return stringBytes(value);
    case 'number':
      return numberBytes(value);
    case 'bigint':
      return roundUp(STRING + Math.ceil(value.toString(16).length / 2));
    case 'object':
      break;
    default:
      return 0;
  }
  if (value === null) return 0;
  if (depth >= MAX_DEPTH) return SLOT;
  if (value instanceof Date) return OBJECT + HEAP_NUMBER;
  if (Array.isArray(value)) {
    let bytes = OBJECT + SLOT * (2 + value.length);
    for (const item of value) bytes += retainedSize(item, depth + 1);
    return bytes;
  }
  if (value instanceof Set) {
    let bytes = COLLECTION + SET_ENTRY * value.size;
    for (const item of value) bytes += retainedSize(item, depth + 1);
    return bytes;
  }
  if (value instanceof Map) {
    let bytes = COLLECTION + (SET_ENTRY + SLOT) * value.size;
    for (const [k, v] of value) bytes += retainedSize(k, depth + 1) + retainedSize(v, depth + 1);
    return bytes;
  }
  if (ArrayBuffer.isView(value)) return OBJECT + 4 * SLOT + value.byteLength;
  let bytes = OBJECT;
  for (const key of Object.keys(value)) {
    // Names are counted with each object; JSON.parse shares them between objects of one shape, so
    // this errs high, never low, for an issuer's claims.
    bytes += 2 * SLOT + stringBytes(key) + retainedSize((value as Record<string, unknown>)[key], depth + 1);
  }
  return bytes;
}
