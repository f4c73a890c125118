/**
 * `restguard check` through the real binary, against a real issuer over HTTPS (its CA trusted through
 * NODE_EXTRA_CA_CERTS): all well → exit 0; Auth0's trailing-slash mismatch → one line naming both
 * values, exit 2; an unreachable host → one line naming it, exit 2.
 */
import { createTestIssuer, type TestIssuer } from '@restguard/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { beforeAllOrFail, run } from './helpers.js';

describe('restguard check', () => {
  let issuer: TestIssuer;
  let env: Record<string, string>;
  beforeAllOrFail(async () => {
    issuer = await createTestIssuer({ https: true, algorithms: ['ES256'] });
    env = { NODE_EXTRA_CA_CERTS: await issuer.caFile() };
  });
  afterAll(() => issuer?.close());

  it('resolves discovery and the JWKS: exit 0', async () => {
    const result = await run(['check', '--issuer', issuer.url], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`ok: ${issuer.url}: discovery metadata and JWKS resolved.\n`);
    expect(issuer.requests.jwks).toBeGreaterThanOrEqual(1);
    const json = await run(['check', '--issuer', issuer.url, '--json'], { env });
    expect(JSON.parse(json.stdout)).toEqual({ ok: true, issuer: issuer.url });
  });

  it('names an issuer mismatch with both values, in one line, exit 2', async () => {
    const result = await run(['check', '--issuer', `${issuer.url}/`], { env });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(result.stderr).toContain(`names the issuer "${issuer.url}", not the configured "${issuer.url}/"`);
  });

  it('names the host it cannot reach, exit 2', async () => {
    const result = await run(['check', '--issuer', 'https://no-such-host.invalid'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^restguard: check: .*no-such-host\.invalid.*\n$/);
  });
});
