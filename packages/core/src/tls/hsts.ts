/**
 * HTTP Strict Transport Security, RFC 6797: the header value (§6.1) and its options. The header is
 * sent on HTTPS responses only (§7.2: a host must not send it over plain HTTP, where it is ignored
 * and could be injected anyway); the guard adds it to every HTTPS answer, refusals included.
 */
import { ConfigInvalidError } from '../errors.js';
import { optionKeys, refuseUnknownNestedOptions } from '../options-check.js';

/** `Strict-Transport-Security` settings. */
export interface HstsOptions {
  /** RFC 6797 §6.1.1 `max-age`, in seconds. Default 31536000 (one year). `0` tells browsers to forget HSTS. */
  readonly maxAgeSeconds?: number;
  /** RFC 6797 §6.1.2 `includeSubDomains`. Default true. */
  readonly includeSubDomains?: boolean;
  /**
   * `preload` (not in RFC 6797; the hstspreload.org convention). Default false: preloading is hard
   * to undo, so it is an explicit choice. Requires `includeSubDomains` and a max-age of a year or more.
   */
  readonly preload?: boolean;
}

/** Every key of {@link HstsOptions}; anything else is refused at start-up. */
const HSTS_OPTION_KEYS = optionKeys<HstsOptions>({
  maxAgeSeconds: true,
  includeSubDomains: true,
  preload: true,
});

/**
 * The default HSTS max-age: one year.
 * @example
 * hstsHeader({ maxAgeSeconds: DEFAULT_HSTS_MAX_AGE_SECONDS * 2, preload: true });
 */
export const DEFAULT_HSTS_MAX_AGE_SECONDS = 31536000;

/**
 * Builds the `Strict-Transport-Security` value, or null when HSTS is off (`false`). Throws
 * {@link ConfigInvalidError} for options a browser would ignore or the preload list would refuse.
 * @example
 * hstsHeader({}); // 'max-age=31536000; includeSubDomains'
 * hstsHeader({ preload: true }); // 'max-age=31536000; includeSubDomains; preload'
 */
export function hstsHeader(options: HstsOptions | false | undefined): string | null {
  if (options === false) return null;
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new ConfigInvalidError('tls.hsts must be an object or false.');
  }
  refuseUnknownNestedOptions(options, HSTS_OPTION_KEYS, 'tls.hsts');
  const maxAge = options?.maxAgeSeconds ?? DEFAULT_HSTS_MAX_AGE_SECONDS;
  const includeSubDomains = options?.includeSubDomains ?? true;
  const preload = options?.preload ?? false;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) {
    throw new ConfigInvalidError('tls.hsts.maxAgeSeconds must be a whole number of seconds, 0 or more.');
  }
  if (preload && (!includeSubDomains || maxAge < DEFAULT_HSTS_MAX_AGE_SECONDS)) {
    throw new ConfigInvalidError(
      'tls.hsts.preload needs includeSubDomains and a maxAgeSeconds of at least 31536000.',
    );
  }
  let value = `max-age=${maxAge}`;
  if (includeSubDomains) value += '; includeSubDomains';
  if (preload) value += '; preload';
  return value;
}
