/**
 * DPoP (RFC 9449) with real peers, end to end: each demo app started as a process with its embedded dev
 * issuer (oidc-provider, which binds access tokens to the client's DPoP key through `cnf.jkt`), and
 * openid-client's DPoP support getting the token and calling the API. Replay, a wrong `htu` / `htm`, a
 * proof for another token and a stolen token without its key are refused.
 */
import { readFileSync } from 'node:fs';
import * as client from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Started, startApp, tempDir } from './processes.js';

const frameworks = ['express', 'fastify', 'hono'] as const;
const AUDIENCE = 'https://notes.restguard.test';

describe.each(frameworks)(
  'demo-%s with DPoP, tokens from oidc-provider, calls by openid-client',
  (framework) => {
    let app: Started;
    let baseUrl: string;
    let config: client.Configuration;
    let handle: client.DPoPHandle;
    let token: string;
    /** Every request openid-client sent to the app, with its headers (the DPoP proofs among them). */
    const sent: { url: string; method: string; headers: Headers }[] = [];
    let send: (url: string, method: string, headers: Record<string, string>) => Promise<Response>;

    beforeAll(async () => {
      app = await startApp(
        `demo-${framework}`,
        { PORT: '0', RESTGUARD_DATA_DIR: tempDir(`dpop-${framework}`) },
        /browser: https:\/\/\S+\//,
      );
      const banner = app.output();
      baseUrl = /listening on (https:\/\/\S+)/.exec(banner)![1]!;
      const issuer = /issuer: +(https:\/\/\S+)/.exec(banner)![1]!;
      const dispatcher = new Agent({
        connect: { ca: readFileSync(/development CA: (\S+)/.exec(banner)![1]!, 'utf8') },
      });
      const trusting = ((url: string, init: RequestInit) => {
        if (url.startsWith(baseUrl)) {
          sent.push({ url, method: init.method ?? 'GET', headers: new Headers(init.headers) });
        }
        return undiciFetch(url, { ...init, dispatcher } as never);
      }) as unknown as typeof fetch;
      send = (url, method, headers) => trusting(url, { method, headers }) as Promise<Response>;
      config = await client.discovery(new URL(issuer), 'demo-machine', 'demo-machine-secret', undefined, {
        [client.customFetch]: trusting,
      } as client.DiscoveryRequestOptions);
      config[client.customFetch] = trusting as never;
      handle = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
      const granted = await client.clientCredentialsGrant(
        config,
        { scope: 'read write', resource: AUDIENCE },
        { DPoP: handle },
      );
      expect(granted.token_type.toLowerCase()).toBe('dpop');
      token = granted.access_token;
    });
    afterAll(async () => {
      await app?.stop();
    });

    const call = (path: string, method = 'GET', accessToken = token, dpop = handle) =>
      client.fetchProtectedResource(
        config,
        accessToken,
        new URL(path, baseUrl),
        method,
        undefined,
        undefined,
        {
          DPoP: dpop,
        },
      );
    const lastProof = () => sent.at(-1)!.headers.get('dpop')!;
    const refusal = async (res: Response) => ({
      status: res.status,
      challenge: res.headers.get('www-authenticate') ?? '',
      problem: (await res.json()) as { error?: string; detail?: string },
    });

    it('the dev issuer binds the token to the client key and openid-client calls the API with it', async () => {
      const [, payload] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
      expect(claims.cnf?.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const res = await call('/api/notes');
      expect(res.status).toBe(200);
      expect(sent.at(-1)!.headers.get('authorization')).toMatch(/^DPoP /);
      const me = await call('/api/me');
      expect(await me.json()).toMatchObject({ kind: 'token', scopes: ['read', 'write'] });
    });

    it('refuses a replayed proof', async () => {
      await call('/api/notes');
      const proof = lastProof();
      const answer = await refusal(
        await send(`${baseUrl}/api/notes`, 'GET', { authorization: `DPoP ${token}`, dpop: proof }),
      );
      expect(answer.status).toBe(401);
      expect(answer.problem.error).toBe('invalid_dpop_proof');
      expect(answer.problem.detail).toBe('The DPoP proof was already used.');
      expect(answer.challenge).toContain('DPoP algs="');
    });

    it('refuses a proof for another URL or another method', async () => {
      await call('/api/notes');
      const proof = lastProof();
      const url = await refusal(
        await send(`${baseUrl}/api/me`, 'GET', { authorization: `DPoP ${token}`, dpop: proof }),
      );
      expect(url.problem).toMatchObject({
        error: 'invalid_dpop_proof',
        detail: 'The DPoP proof is for another URL.',
      });
      await call('/api/notes');
      const method = await refusal(
        await send(`${baseUrl}/api/notes`, 'DELETE', { authorization: `DPoP ${token}`, dpop: lastProof() }),
      );
      expect(method.problem).toMatchObject({
        error: 'invalid_dpop_proof',
        detail: 'The DPoP proof is for another HTTP method.',
      });
    });

    it('refuses a proof made for another token of the same key', async () => {
      const second = await client.clientCredentialsGrant(
        config,
        { scope: 'read', resource: AUDIENCE },
        { DPoP: handle },
      );
      await call('/api/notes', 'GET', second.access_token);
      const answer = await refusal(
        await send(`${baseUrl}/api/notes`, 'GET', { authorization: `DPoP ${token}`, dpop: lastProof() }),
      );
      expect(answer.problem).toMatchObject({
        error: 'invalid_dpop_proof',
        detail: 'The DPoP proof is for another access token.',
      });
    });

    it('refuses a stolen token: as a bearer token, and with a proof from the thief’s own key', async () => {
      const bearer = await refusal(
        await send(`${baseUrl}/api/notes`, 'GET', { authorization: `Bearer ${token}` }),
      );
      expect(bearer.status).toBe(401);
      expect(bearer.problem.error).toBe('invalid_token');
      const thief = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
      let status: number | undefined;
      try {
        status = (await call('/api/notes', 'GET', token, thief)).status;
      } catch (err) {
        // openid-client turns a DPoP challenge into an error carrying the response.
        status =
          (err as { response?: Response; status?: number }).response?.status ??
          (err as { status?: number }).status;
      }
      expect(status).toBe(401);
      const answer = await refusal(
        await send(`${baseUrl}/api/notes`, 'GET', { authorization: `DPoP ${token}`, dpop: lastProof() }),
      );
      expect(answer.problem).toMatchObject({
        error: 'invalid_token',
        detail: 'The DPoP proof key does not match the access token.',
      });
    });
  },
);

/** A free TCP port on loopback (closed again before use). */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('demo-hono with REDIS_URL: the replay cache outlives the instance', () => {
  it('refuses, after a restart (a new instance), a proof accepted before it', async () => {
    const redisUrl = process.env.TEST_REDIS_URL;
    expect(redisUrl, 'TEST_REDIS_URL is set by the test command (npm test)').toBeTruthy();
    const env = {
      PORT: String(await freePort()),
      DEV_ISSUER_PORT: String(await freePort()),
      REDIS_URL: redisUrl!,
      RESTGUARD_DATA_DIR: tempDir('dpop-redis'),
    };
    let app = await startApp('demo-hono', env, /browser: https:\/\/\S+\//);
    try {
      const banner = app.output();
      const baseUrl = /listening on (https:\/\/\S+)/.exec(banner)![1]!;
      const issuer = /issuer: +(https:\/\/\S+)/.exec(banner)![1]!;
      const dispatcher = new Agent({
        connect: { ca: readFileSync(/development CA: (\S+)/.exec(banner)![1]!, 'utf8') },
      });
      let proof = '';
      const trusting = ((url: string, init: RequestInit) => {
        if (url.startsWith(baseUrl)) proof = new Headers(init.headers).get('dpop') ?? '';
        return undiciFetch(url, { ...init, dispatcher } as never);
      }) as unknown as typeof fetch;
      const config = await client.discovery(
        new URL(issuer),
        'demo-machine',
        'demo-machine-secret',
        undefined,
        {
          [client.customFetch]: trusting,
        } as client.DiscoveryRequestOptions,
      );
      config[client.customFetch] = trusting as never;
      const handle = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
      const { access_token: token } = await client.clientCredentialsGrant(
        config,
        { scope: 'read', resource: AUDIENCE },
        { DPoP: handle },
      );
      const first = await client.fetchProtectedResource(
        config,
        token,
        new URL('/api/notes', baseUrl),
        'GET',
        undefined,
        undefined,
        {
          DPoP: handle,
        },
      );
      expect(first.status).toBe(200);

      await app.stop();
      app = await startApp('demo-hono', env, /browser: https:\/\/\S+\//);
      const replayed = await undiciFetch(`${baseUrl}/api/notes`, {
        headers: { authorization: `DPoP ${token}`, dpop: proof },
        dispatcher,
      });
      expect(replayed.status).toBe(401);
      expect(await replayed.json()).toMatchObject({
        error: 'invalid_dpop_proof',
        detail: 'The DPoP proof was already used.',
      });
    } finally {
      await app.stop();
    }
  });
});
