import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIssuer } from '../src/index.js';
import { clientCredentials, createHarness, exchangeCode, MACHINE, signIn, WEB } from './harness.js';

const OPAQUE = 'https://opaque.notes.restguard.test';

describe('introspection (RFC 7662) and revocation (RFC 7009)', () => {
  const harness = createHarness();
  let devIssuer: DevIssuer;

  beforeAll(async () => {
    devIssuer = await harness.start({ opaqueAudiences: [OPAQUE] });
  });
  afterAll(() => harness.cleanup());

  const introspect = (token: string, authorization = MACHINE) =>
    harness.client.fetch(devIssuer.introspectionEndpoint, { headers: { authorization }, form: { token } });

  it('issues opaque access tokens for an opaque resource, which the machine client can introspect', async () => {
    const response = await clientCredentials(harness.client, devIssuer.issuer, {
      scope: 'read write',
      resource: OPAQUE,
    });
    const token = response.json<{ access_token: string }>().access_token;
    expect(token.split('.')).toHaveLength(1);
    const result = (await introspect(token)).json();
    expect(result).toMatchObject({
      active: true,
      iss: devIssuer.issuer,
      aud: OPAQUE,
      scope: 'read write',
      client_id: 'demo-machine',
      token_type: 'Bearer',
    });
    expect(typeof result.exp).toBe('number');
  });

  it("introspects a user's opaque token for the machine client (acting as the resource server)", async () => {
    const { callback, verifier } = await signIn(harness.certs.caPem, devIssuer.issuer, {
      username: 'bob',
      scope: 'openid read write',
      resource: OPAQUE,
    });
    const tokens = (
      await exchangeCode(harness.client, devIssuer.issuer, callback.searchParams.get('code')!, verifier)
    ).json<{
      access_token: string;
    }>();
    expect((await introspect(tokens.access_token)).json()).toMatchObject({
      active: true,
      sub: 'bob',
      aud: OPAQUE,
      scope: 'read',
    });
  });

  it('answers active:false for unknown, revoked tokens and to a client the token does not belong to', async () => {
    expect((await introspect('not-a-token')).json()).toEqual({ active: false });
    const token = (
      await clientCredentials(harness.client, devIssuer.issuer, { scope: 'read', resource: OPAQUE })
    ).json<{
      access_token: string;
    }>().access_token;
    expect((await introspect(token, WEB)).json()).toEqual({ active: false });

    const revoked = await harness.client.fetch(`${devIssuer.issuer}/token/revocation`, {
      headers: { authorization: MACHINE },
      form: { token },
    });
    expect(revoked.status).toBe(200);
    expect((await introspect(token)).json()).toEqual({ active: false });
  });

  it('requires client authentication to introspect', async () => {
    const response = await harness.client.fetch(devIssuer.introspectionEndpoint, { form: { token: 'x' } });
    expect(response.status).toBe(400);
  });
});
