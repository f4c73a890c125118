/**
 * The `returnTo` of a login: where the browser goes once signed in. Only a same-origin relative path
 * is accepted (RFC 9700 §4.11: no open redirectors); anything else becomes `/`.
 */

/**
 * A safe same-origin path for `value`, else `/`. Accepts `/notes?x=1#y`; refuses `//evil`, `/\evil`,
 * `https://evil`, `javascript:…`, control characters and anything that does not start with one `/`.
 * @example
 * safeReturnTo('/notes?page=2'); // '/notes?page=2'
 * safeReturnTo('//evil.example'); // '/'
 */
export function safeReturnTo(value: string | null | undefined): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return '/';
  if (value[0] !== '/' || value[1] === '/' || value[1] === '\\') return '/';
  // Browsers drop tabs and newlines and read `\` as `/`: `/\t/evil` would become `//evil`.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters on purpose
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return '/';
  try {
    const base = 'https://restguard.invalid';
    const resolved = new URL(value, base);
    if (resolved.origin !== base) return '/';
    return `${resolved.pathname}${resolved.search}${resolved.hash}`;
  } catch {
    return '/';
  }
}
