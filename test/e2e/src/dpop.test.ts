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
