/**
 * `restguard token` against a small real HTTPS authorization server whose answers each test sets:
 * the error cases the dev issuer cannot produce (no metadata, the RFC 8414 location, a refused grant
 * without an OAuth error, a plain-HTTP token endpoint, a non-Bearer token, an unreachable issuer).
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { generateTestTls } from '@restguard/testing';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { beforeAllOrFail, expectRefused, run, tempDir } from './helpers.js';

/** One canned answer per path. */
type Answer = { status: number; body?: unknown; type?: string };

describe('restguard token against a scripted authorization server', () => {
  const tmp = tempDir();
  let server: Server;
  let issuer: string;
  let env: Record<string, string>;
  let answers: Map<string, Answer>;
  const seen: string[] = [];
  const token = (...args: string[]) =>
    run(['token', '--issuer', issuer, '--client-id', 'machine', ...args], { env });
  const metadata = (extra: Record<string, unknown> = {}) => ({
    issuer,
    token_endpoint: `${issuer}/token`,
    ...extra,
  });

  beforeAllOrFail(async () => {
    const tls = await generateTestTls();
    const caFile = join(tmp.dir, 'ca.pem');
    writeFileSync(caFile, tls.caPem);
    server = createServer({ cert: tls.certPem, key: tls.keyPem }, (request, response) => {
      const path = new URL(request.url ?? '/', 'https://x').pathname;
      seen.push(`${request.method} ${path}`);
      request.resume();
      const answer = answers.get(path) ?? { status: 404, body: 'not found', type: 'text/plain' };
      response.writeHead(answer.status, { 'content-type': answer.type ?? 'application/json' });
      response.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {}));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    env = { NODE_EXTRA_CA_CERTS: caFile, RESTGUARD_CLIENT_SECRET: 'machine-secret' };
  });
  beforeEach(() => {
    answers = new Map();
    seen.length = 0;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    tmp.remove();
  });

  it('says there is no metadata when neither discovery location answers', async () => {
    expectRefused(await token(), /no authorization server metadata at the issuer/);
    expect(seen).toEqual([
      'GET /.well-known/openid-configuration',
      'GET /.well-known/oauth-authorization-server',
    ]);
  });

  it('uses the RFC 8414 location when OpenID Connect Discovery has none, and prints the token', async () => {
    answers.set('/.well-known/oauth-authorization-server', { status: 200, body: metadata() });
    answers.set('/token', {
      status: 200,
      body: { access_token: 'at-123', token_type: 'Bearer', expires_in: 60, scope: 'read' },
    });
    const result = await token('--scope', 'read', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      accessToken: 'at-123',
      tokenType: 'Bearer',
      expiresIn: 60,
      scope: 'read',
    });
    expect(seen.at(-1)).toBe('POST /token');
  });

  it('names the HTTP status of a refusal without an OAuth error, and the OAuth error when there is one', async () => {
    answers.set('/.well-known/openid-configuration', { status: 200, body: metadata() });
    answers.set('/token', { status: 500, body: 'oops', type: 'text/plain' });
    expectRefused(await token(), /refused the request \(HTTP 500\)/);
    answers.set('/token', { status: 400, body: { error: 'invalid_scope' } });
    expectRefused(await token('--scope', 'admin'), /refused the request \(invalid_scope\)/);
  });

  it('refuses a plain-HTTP token endpoint and a non-Bearer or missing token', async () => {
    answers.set('/.well-known/openid-configuration', {
      status: 200,
      body: metadata({ token_endpoint: `${issuer.replace('https:', 'http:')}/token` }),
    });
    expectRefused(await token(), /the token_endpoint in the metadata must use https:\/\//);
    expect(seen).not.toContain('POST /token');
    answers.set('/.well-known/openid-configuration', { status: 200, body: metadata() });
    answers.set('/token', { status: 200, body: { access_token: 'at', token_type: 'mac' } });
    expectRefused(await token(), /issued a non-Bearer token/);
    answers.set('/token', { status: 200, body: { token_type: 'Bearer' } });
    expectRefused(await token(), /answered without a usable access token/);
  });

  it('refuses metadata naming another issuer or none, and servers offering no secret method', async () => {
    answers.set('/.well-known/openid-configuration', {
      status: 200,
      body: metadata({ issuer: 'https://elsewhere.example' }),
    });
    expectRefused(await token(), /names a different issuer/);
    answers.set('/.well-known/openid-configuration', {
      status: 200,
      body: metadata({ token_endpoint_auth_methods_supported: ['private_key_jwt'] }),
    });
    expectRefused(await token(), /neither client_secret_basic nor client_secret_post/);
  });

  it('says it cannot reach an issuer nobody listens on', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await run(['token', '--issuer', `https://127.0.0.1:${port}`, '--client-id', 'x'], {
      env,
    });
    expectRefused(result, new RegExp(`cannot reach https://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
  });
});
