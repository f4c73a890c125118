import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIssuer } from '../src/index.js';
import { basic } from './client.js';
import { AUDIENCE, clientCredentials, createHarness, verifyJwt } from './harness.js';

describe('client-credentials grant of demo-machine', () => {
  const harness = createHarness();
  let devIssuer: DevIssuer;

  beforeAll(async () => {
    devIssuer = await harness.start({ accessTokenTtlSeconds: 120 });
  });
  afterAll(() => harness.cleanup());

  it('issues an RFC 9068 JWT access token (typ at+jwt) for the audience with scope "read write"', async () => {
    const response = await clientCredentials(harness.client, devIssuer.issuer, {
      scope: 'read write',
      resource: AUDIENCE,
    });
    expect(response.status).toBe(200);
    const body = response.json<{
      access_token: string;
      token_type: string;
      expires_in: number;
      scope: string;
    }>();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 120, scope: 'read write' });
    expect(response.headers['cache-control']).toBe('no-store');

    const { payload, protectedHeader } = await verifyJwt(harness.client, devIssuer.issuer, body.access_token);
    expect(protectedHeader).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    expect(payload).toMatchObject({
      iss: devIssuer.issuer,
      aud: AUDIENCE,
      scope: 'read write',
      sub: 'demo-machine',
      client_id: 'demo-machine',
    });
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(typeof payload.jti).toBe('string');
  });

  it('defaults the resource to the audience when only API scopes are asked for', async () => {
    const response = await clientCredentials(harness.client, devIssuer.issuer, { scope: 'read' });
    const { payload } = await verifyJwt(
      harness.client,
      devIssuer.issuer,
      response.json<{ access_token: string }>().access_token,
    );
    expect(payload).toMatchObject({ aud: AUDIENCE, scope: 'read' });
  });

  it('drops scopes the resource does not define', async () => {
    const response = await clientCredentials(harness.client, devIssuer.issuer, {
      scope: 'read admin',
      resource: AUDIENCE,
    });
    expect(response.json()).toMatchObject({ scope: 'read' });
  });

  it('accepts the client secret in the form body too (client_secret_post, the openid-client default)', async () => {
    const response = await harness.client.fetch(`${devIssuer.issuer}/token`, {
      form: {
        grant_type: 'client_credentials',
        client_id: 'demo-machine',
        client_secret: 'demo-machine-secret',
        scope: 'read',
        resource: AUDIENCE,
      },
    });
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ scope: 'read' });
  });

  it('refuses a wrong client secret, and secret-less requests', async () => {
    const wrong = await harness.client.fetch(`${devIssuer.issuer}/token`, {
      headers: { authorization: basic('demo-machine', 'not-the-secret') },
      form: { grant_type: 'client_credentials', scope: 'read', resource: AUDIENCE },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toMatchObject({ error: 'invalid_client' });
    const none = await harness.client.fetch(`${devIssuer.issuer}/token`, {
      form: {
        grant_type: 'client_credentials',
        client_id: 'demo-machine',
        scope: 'read',
        resource: AUDIENCE,
      },
    });
    expect(none.status).toBe(401);
  });

  it('refuses an unknown resource with invalid_target', async () => {
    const response = await clientCredentials(harness.client, devIssuer.issuer, {
      scope: 'read',
      resource: 'https://elsewhere.example',
    });
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_target' });
  });

  it('does not let the web client use the client-credentials grant', async () => {
    const response = await harness.client.fetch(`${devIssuer.issuer}/token`, {
      headers: { authorization: basic('demo-web', 'demo-web-secret') },
      form: { grant_type: 'client_credentials', scope: 'read', resource: AUDIENCE },
    });
    expect(response.status).toBe(400);
    const body = response.json();
    expect(body).toMatchObject({ error_description: 'requested grant type is not allowed for this client' });
    expect(body).not.toHaveProperty('access_token');
  });

  it('signs with ES256 when accessTokenAlgorithm says so, with a key from its JWKS', async () => {
    const es = await harness.start({ accessTokenAlgorithm: 'ES256', audience: 'https://es.restguard.test' });
    const response = await clientCredentials(harness.client, es.issuer, {
      scope: 'write',
      resource: 'https://es.restguard.test',
    });
    const token = response.json<{ access_token: string }>().access_token;
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    const { payload } = await verifyJwt(harness.client, es.issuer, token);
    expect(payload).toMatchObject({ aud: 'https://es.restguard.test', scope: 'write' });
  });
});
