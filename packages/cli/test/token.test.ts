/**
 * `restguard token` against the real dev issuer (oidc-provider over HTTPS with its own CA), through
 * the real binary; the token it prints is then verified by core's own token verifier.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTokenVerifier } from '@restguard/core';
import { DEV_MACHINE_CLIENT, type DevIssuer, startDevIssuer } from '@restguard/dev-issuer';
import { createCaFetch, generateTestTls } from '@restguard/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { beforeAllOrFail, expectRefused, run, tempDir } from './helpers.js';

const AUDIENCE = 'https://notes.restguard.test';

describe('restguard token (client credentials against the dev issuer)', () => {
  const tmp = tempDir();
  let issuer: DevIssuer;
  let caPem: string;
  let env: Record<string, string>;
  const token = (...args: string[]) =>
    run(['token', '--issuer', issuer.issuer, '--client-id', DEV_MACHINE_CLIENT.clientId, ...args], { env });

  beforeAllOrFail(async () => {
    const tls = await generateTestTls();
    caPem = tls.caPem;
    const caFile = join(tmp.dir, 'ca.pem');
    writeFileSync(caFile, caPem);
    issuer = await startDevIssuer({
      port: 0,
      tls: { cert: tls.certPem, key: tls.keyPem },
      audience: AUDIENCE,
      dataDir: join(tmp.dir, 'issuer'),
      log: false,
    });
    env = { NODE_EXTRA_CA_CERTS: caFile, RESTGUARD_CLIENT_SECRET: DEV_MACHINE_CLIENT.clientSecret };
  });
  afterAll(async () => {
    await issuer?.close();
    tmp.remove();
  });

  it('prints an access token that core verifies, with the requested scopes and audience', async () => {
    const result = await token('--scope', 'read,write', '--resource', AUDIENCE);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(2);
    const verifier = createTokenVerifier({
      issuers: [{ issuer: issuer.issuer, audience: AUDIENCE }],
      fetch: createCaFetch(caPem),
    });
    try {
      const principal = await verifier.verify(lines[0]!);
      expect([...principal.scopes].sort()).toEqual(['read', 'write']);
      expect(principal.clientId).toBe(DEV_MACHINE_CLIENT.clientId);
    } finally {
      await verifier.close();
    }
  });

  it('prints {"accessToken","tokenType","expiresIn","scope"} with --json', async () => {
    const result = await token('--scope', 'read', '--resource', AUDIENCE, '--json');
    expect(result.code, result.stderr).toBe(0);
    const body = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['accessToken', 'tokenType', 'expiresIn', 'scope']);
    expect(body).toMatchObject({ tokenType: 'Bearer', scope: 'read' });
    expect(body.expiresIn).toBeGreaterThan(0);
  });

  it('refuses a wrong secret, a missing secret, an untrusted certificate and a non-matching issuer', async () => {
    const wrong = await run(['token', '--issuer', issuer.issuer, '--client-id', 'demo-machine'], {
      env: { ...env, RESTGUARD_CLIENT_SECRET: 'not-the-secret' },
    });
    expectRefused(wrong, /refused the request \(invalid_client\)/);
    expect(wrong.stderr).not.toContain('not-the-secret');
    expectRefused(
      await run(['token', '--issuer', issuer.issuer, '--client-id', 'demo-machine'], {
        env: { NODE_EXTRA_CA_CERTS: env.NODE_EXTRA_CA_CERTS! },
      }),
      /RESTGUARD_CLIENT_SECRET is not set/,
    );
    expectRefused(
      await run(['token', '--issuer', issuer.issuer, '--client-id', 'demo-machine'], {
        env: { RESTGUARD_CLIENT_SECRET: DEV_MACHINE_CLIENT.clientSecret },
      }),
      /cannot reach https:\/\/127\.0\.0\.1:\d+ \([A-Z_]+\)/,
    );
    expectRefused(
      await run(['token', '--issuer', `${issuer.issuer}/`, '--client-id', 'demo-machine'], { env }),
      /names a different issuer/,
    );
  });

  it('refuses plain-HTTP issuers and malformed scopes before any request', async () => {
    const http = issuer.issuer.replace('https:', 'http:');
    expectRefused(await run(['token', '--issuer', http, '--client-id', 'x'], { env }), /must use https/);
    expectRefused(await token('--scope', 'read write'), /--scope must be/);
    expectRefused(await token('--resource', 'not a uri'), /--resource must be an absolute URI/);
    expectRefused(await run(['token', '--client-id', 'x'], { env }), /--issuer is required/);
  });
});
