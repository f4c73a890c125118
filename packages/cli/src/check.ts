/**
 * `restguard check --issuer URL`: resolves the issuer's discovery metadata (OpenID Connect Discovery 1.0
 * §4, else RFC 8414 §3.1) and its JWKS now, through core's own `ready()`, and says what is wrong in one
 * line — an issuer mismatch with both values (RFC 8414 §3.3: compared exactly, trailing slash
 * included), a DNS or TLS failure with the host, an HTTP status, a timeout, a document of the wrong
 * shape. Exit 0 when all is well, 2 otherwise.
 */
import { createTokenVerifier, faultOf, isRestguardError } from '@restguard/core';
import { type CommandSpec, type ParsedCommand, requiredUrlOption } from './args.js';
import { UsageError } from './errors.js';
import { formatJson } from './output.js';

/** `restguard check`. */
export const checkSpec: CommandSpec = {
  name: 'check',
  summary:
    "Resolves an issuer's discovery metadata and JWKS now, as the guard would, and says what is wrong (issuer mismatch, DNS, TLS, HTTP status, timeout, JSON shape).",
  positionals: [],
  options: {
    issuer: requiredUrlOption(
      'The issuer exactly as the app configures it (AUTH_ISSUER), e.g. https://idp.example/.',
    ),
    'jwks-uri': {
      type: 'string',
      value: 'URL',
      description: 'The JWKS URL, when the app sets one instead of using discovery.',
    },
    json: { type: 'boolean', description: 'Print {"ok","issuer","jwksUri"} on success.' },
  },
  notes: [
    'Outbound HTTPS trusts Node’s CA store plus NODE_EXTRA_CA_CERTS, as the demo apps do.',
    'Example: restguard check --issuer https://tenant.auth0.com/',
  ],
};

/**
 * Runs `restguard check`; returns 0 or throws a one-line UsageError naming the fault.
 * @example
 * await runCheckCommand(parseCommand(checkSpec, ['--issuer', 'https://idp.example']), io);
 */
export async function runCheckCommand(
  parsed: ParsedCommand,
  io: { stdout: (text: string) => void },
): Promise<number> {
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const issuer = values.issuer as string;
  const jwksUri = values['jwks-uri'] as string | undefined;
  let verifier: ReturnType<typeof createTokenVerifier>;
  try {
    verifier = createTokenVerifier({
      issuers: [{ issuer, audience: 'restguard-check', ...(jwksUri ? { jwksUri } : {}) }],
    });
  } catch (err) {
    throw new UsageError(`check: ${isRestguardError(err) ? err.message : 'invalid --issuer or --jwks-uri.'}`);
  }
  try {
    await verifier.ready();
  } catch (err) {
    const fault = faultOf(err);
    throw new UsageError(`check: ${issuer}: ${fault?.message ?? 'discovery or the JWKS failed.'}`);
  } finally {
    await verifier.close();
  }
  if (values.json) io.stdout(formatJson({ ok: true, issuer, ...(jwksUri ? { jwksUri } : {}) }));
  else io.stdout(`ok: ${issuer}: discovery metadata and JWKS resolved.\n`);
  return 0;
}
