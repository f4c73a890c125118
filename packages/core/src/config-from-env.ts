/**
 * Guard options from environment variables, for the shortest protected app:
 * `app.use(restguard(configFromEnv()))`. Web-API-only like the rest of the main entry: nothing is read
 * on import; the environment object is a parameter, defaulting to `globalThis.process?.env` read at
 * call time (so Deno, Bun, Workers with `nodejs_compat`, or a plain object in tests all work).
 */
import { ConfigInvalidError } from './errors.js';
import type { GuardOptions } from './guard.js';
import { type JwsAlgorithm, SUPPORTED_ALGORITHMS, type TrustedIssuer } from './token/options.js';

/** An environment: names to string values (`process.env`, `Deno.env.toObject()`, a plain object). */
export type EnvironmentLike = Readonly<Record<string, string | undefined>>;

/** The variables {@link configFromEnv} reads, with what each means. */
export const ENV_VARIABLES = {
  RESTGUARD_ISSUER: 'required: the issuer identifier of the authorization server (an https URL)',
  RESTGUARD_AUDIENCE: 'required: the audience(s) this API accepts, comma-separated',
  RESTGUARD_JWKS_URI: 'optional: the JWK Set URL (default: jwks_uri from discovery)',
  RESTGUARD_ALGORITHMS: 'optional: comma-separated JWS allow-list (default RS*, PS*, ES*, EdDSA)',
  RESTGUARD_SCOPE_CLAIM: 'optional: read scopes from this claim instead of scope / scp',
  RESTGUARD_CLOCK_TOLERANCE_SECONDS: 'optional: clock skew allowed for exp / nbf / iat, 0 to 300 (default 5)',
  RESTGUARD_PUBLIC_ORIGIN: 'optional: the HTTPS origin clients use (the only redirect target)',
  RESTGUARD_TRUSTED_PROXIES: 'optional: comma-separated addresses / CIDR ranges of your reverse proxies',
  RESTGUARD_OPTIONAL: 'optional: "true" lets requests without a credential through as anonymous',
  RESTGUARD_REALM: 'optional: the realm of the WWW-Authenticate challenge (default restguard)',
} as const;

/** Options of {@link configFromEnv}. */
export interface ConfigFromEnvOptions {
  /** Where to read from. Default: `globalThis.process?.env`, read when called (never on import). */
  env?: EnvironmentLike;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function url(name: string, value: string, httpsOnly: boolean): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigInvalidError(`${name} must be an absolute URL.`);
  }
  if (httpsOnly && parsed.protocol !== 'https:')
    throw new ConfigInvalidError(`${name} must be an https:// URL.`);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new ConfigInvalidError(`${name} must be an http(s) URL.`);
  return value;
}

/**
 * Builds guard options from the documented `RESTGUARD_*` variables ({@link ENV_VARIABLES}). Throws
 * {@link ConfigInvalidError} naming the variable when one is missing or malformed (never echoing its
 * value). Anything not expressible as a variable (API-key stores, sessions, event listeners) is added by
 * spreading the result into your own options.
 * @example
 * // RESTGUARD_ISSUER=https://idp.example/realms/acme RESTGUARD_AUDIENCE=https://notes.example node app.js
 * import { configFromEnv } from '@restguard/core';
 * import { restguard } from '@restguard/express';
 * app.use(restguard(configFromEnv()));
 * // or from an explicit object (tests, Deno, Workers):
 * const options = configFromEnv({ env: { RESTGUARD_ISSUER: 'https://idp.example', RESTGUARD_AUDIENCE: 'api' } });
 */
export function configFromEnv(options: ConfigFromEnvOptions = {}): GuardOptions {
  const env: EnvironmentLike =
    options.env ?? (globalThis as { process?: { env?: EnvironmentLike } }).process?.env ?? {};
  const read: ReadVariable = (name) => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const result: GuardOptions = { tokens: tokenOptionsFromEnv(read, trustedIssuerFromEnv(read)) };
  const publicOrigin = read('RESTGUARD_PUBLIC_ORIGIN');
  const proxies = read('RESTGUARD_TRUSTED_PROXIES');
  if (publicOrigin || proxies) {
    result.tls = {
      ...(publicOrigin ? { publicOrigin: url('RESTGUARD_PUBLIC_ORIGIN', publicOrigin, true) } : {}),
      ...(proxies ? { trustedProxies: list(proxies) } : {}),
    };
  }
  const optional = read('RESTGUARD_OPTIONAL');
  if (optional !== undefined) {
    if (optional !== 'true' && optional !== 'false')
      throw new ConfigInvalidError('RESTGUARD_OPTIONAL must be "true" or "false".');
    result.optional = optional === 'true';
  }
  const realm = read('RESTGUARD_REALM');
  if (realm) result.realm = realm;
  return result;
}

/** A variable's trimmed value, undefined when unset or blank. */
type ReadVariable = (name: keyof typeof ENV_VARIABLES) => string | undefined;

/** The one trusted issuer: `RESTGUARD_ISSUER`, `_AUDIENCE` (both required), `_JWKS_URI`, `_SCOPE_CLAIM`. */
function trustedIssuerFromEnv(read: ReadVariable): TrustedIssuer {
  const issuerValue = read('RESTGUARD_ISSUER');
  if (!issuerValue) throw new ConfigInvalidError('RESTGUARD_ISSUER is required (the issuer identifier URL).');
  const audienceValue = read('RESTGUARD_AUDIENCE');
  const audience = audienceValue ? list(audienceValue) : [];
  if (audience.length === 0)
    throw new ConfigInvalidError('RESTGUARD_AUDIENCE is required (comma-separated).');
  const issuer: TrustedIssuer = {
    issuer: url('RESTGUARD_ISSUER', issuerValue, false),
    audience: audience.length === 1 ? audience[0]! : audience,
  };
  const jwksUri = read('RESTGUARD_JWKS_URI');
  if (jwksUri) issuer.jwksUri = url('RESTGUARD_JWKS_URI', jwksUri, false);
  const scopeClaim = read('RESTGUARD_SCOPE_CLAIM');
  if (scopeClaim) issuer.scopeClaim = scopeClaim;
  return issuer;
}

/** The token options: the issuer, with `RESTGUARD_ALGORITHMS` and `_CLOCK_TOLERANCE_SECONDS` when set. */
function tokenOptionsFromEnv(read: ReadVariable, issuer: TrustedIssuer): NonNullable<GuardOptions['tokens']> {
  let tokens: NonNullable<GuardOptions['tokens']> = { issuers: [issuer] };
  const algorithms = read('RESTGUARD_ALGORITHMS');
  if (algorithms) {
    const names = list(algorithms);
    const unknown = names.filter((alg) => !(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg));
    if (names.length === 0 || unknown.length > 0) {
      throw new ConfigInvalidError(
        `RESTGUARD_ALGORITHMS must list algorithms among ${SUPPORTED_ALGORITHMS.join(', ')}.`,
      );
    }
    tokens = { ...tokens, algorithms: names as JwsAlgorithm[] };
  }
  const tolerance = read('RESTGUARD_CLOCK_TOLERANCE_SECONDS');
  if (tolerance !== undefined) {
    const seconds = /^\d{1,3}$/.test(tolerance) ? Number(tolerance) : Number.NaN;
    if (!(seconds >= 0 && seconds <= 300))
      throw new ConfigInvalidError('RESTGUARD_CLOCK_TOLERANCE_SECONDS must be a whole number from 0 to 300.');
    tokens = { ...tokens, clockToleranceSeconds: seconds };
  }
  return tokens;
}
