/**
 * DPoP (RFC 9449) and protected-resource metadata (RFC 9728) on every adapter — Express 5, Express 4,
 * Fastify and Hono — over real sockets, with the same guard options (server nonces on, the public
 * origin behind a proxy set through `tls.publicOrigin`). Every adapter must give the same answers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GuardOptions } from '@restguard/core';
import { type DevCertificates, ensureDevCertificates } from '@restguard/core/node';
import { createDpopProver, type DpopProver } from '@restguard/testing';
import express5 from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceApp } from '../src/apps/contract.js';
import { buildExpressApp } from '../src/apps/express.js';
import { buildFastifyApp } from '../src/apps/fastify.js';
import { buildHonoApp } from '../src/apps/hono.js';
import { type RawAnswer, sendRaw } from '../src/client.js';
import { createFixtures, type Fixtures, PUBLIC_ORIGIN, REALM } from '../src/fixtures.js';
import { type Served, serve } from '../src/serve.js';

const ADAPTERS = {
  'express 5': (options: GuardOptions) => buildExpressApp(express5, options),
  'express 4': (options: GuardOptions) => buildExpressApp(express4 as typeof express5, options),
  fastify: buildFastifyApp,
  hono: buildHonoApp,
};
const RESOURCE = `${PUBLIC_ORIGIN}/notes`;
const METADATA_URL = `${PUBLIC_ORIGIN}/.well-known/oauth-protected-resource/notes`;
const ALGS = ['ES256', 'EdDSA'] as const;
const HTU = `${PUBLIC_ORIGIN}/api/notes`;

let fixtures: Fixtures;
let certificates: DevCertificates;
let certificateDir: string;
let prover: DpopProver;
let bound: string;
let unbound: string;
const running: { name: string; app: ConformanceApp; served: Served }[] = [];

beforeAll(async () => {
  certificateDir = await mkdtemp(join(tmpdir(), 'restguard-dpop-'));
  [fixtures, certificates, prover] = await Promise.all([
    createFixtures(certificateDir),
    ensureDevCertificates(certificateDir),
    createDpopProver(),
  ]);
  bound = await fixtures.issuer.mint({ scope: 'read', cnf: { jkt: prover.jkt } });
  unbound = await fixtures.issuer.mint({ scope: 'read' });
  for (const [name, build] of Object.entries(ADAPTERS)) {
    const options: GuardOptions = {
      ...fixtures.guardOptions('strict', () => {}),
      dpop: { algorithms: [...ALGS], nonce: { secret: 'conformance-dpop-nonce-secret-0123456789' } },
      protectedResource: { resource: RESOURCE, scopesSupported: ['read', 'write'], resourceName: 'notes' },
    };
    const app = await build(options);
    running.push({
      name,
      app,
      served: await serve(app.listener, certificates, fixtures.clientCertificates.caFile),
    });
  }
});

afterAll(async () => {
  for (const { app, served } of running) {
    await served.close();
    await app.close();
  }
  await fixtures?.close();
  if (certificateDir) await rm(certificateDir, { recursive: true, force: true });
});

type Headers = [string, string][];
const call = (
  served: Served,
  path: string,
  headers: Headers = [],
  method = 'GET',
  body?: string,
): Promise<RawAnswer> => sendRaw(served.https, { method, path, headers, body }, certificates.caCertPem);
const problem = (answer: RawAnswer) => JSON.parse(answer.body) as Record<string, unknown>;

/** One DPoP call: fetches the server nonce first (the §8 dance), then sends the proof `make` builds. */
async function dpopCall(
  served: Served,
  make: (nonce: string) => Promise<string>,
  token = bound,
  path = '/api/notes',
): Promise<RawAnswer> {
  const first = await call(served, path, [
    ['authorization', `DPoP ${token}`],
    ['dpop', await prover.proof({ htm: 'GET', htu: PUBLIC_ORIGIN + path, accessToken: token })],
  ]);
  expect(first.status).toBe(401);
  expect(problem(first).error).toBe('use_dpop_nonce');
  const nonce = first.headers['dpop-nonce'] as string;
  expect(nonce).toBeTruthy();
  return call(served, path, [
    ['authorization', `DPoP ${token}`],
    ['dpop', await make(nonce)],
  ]);
}

const answers = new Map<string, Map<string, string>>();
/** Records what an adapter answered for a case, to compare adapters afterwards. */
function record(caseName: string, adapter: string, answer: RawAnswer) {
  if (!answers.has(caseName)) answers.set(caseName, new Map());
  const { status, headers, body } = answer;
  const shape = { status, challenge: headers['www-authenticate'], type: headers['content-type'] };
  const parsed = headers['content-type']?.toString().includes('json') ? JSON.parse(body) : body;
  answers.get(caseName)!.set(adapter, JSON.stringify({ ...shape, body: parsed }));
}

describe.each(Object.keys(ADAPTERS))('%s', (adapter) => {
  const served = () => running.find((r) => r.name === adapter)!.served;

  it('serves the RFC 9728 document at the §3.1 path and the plain path', async () => {
    for (const path of [
      '/.well-known/oauth-protected-resource/notes',
      '/.well-known/oauth-protected-resource',
    ]) {
      const answer = await call(served(), path);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(answer.headers['strict-transport-security']).toBeTruthy();
      expect(JSON.parse(answer.body)).toEqual({
        resource: RESOURCE,
        authorization_servers: [fixtures.issuer.url, fixtures.downIssuer.url],
        scopes_supported: ['read', 'write'],
        bearer_methods_supported: ['header'],
        resource_name: 'notes',
        dpop_signing_alg_values_supported: [...ALGS],
        dpop_bound_access_tokens_required: false,
      });
      record(`metadata ${path}`, adapter, answer);
    }
  });

  it('points every 401 at the metadata and offers DPoP beside Bearer (RFC 9728 §5.1, RFC 9449 §7.1)', async () => {
    const answer = await call(served(), '/api/notes');
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(
      `Bearer realm="${REALM}", resource_metadata="${METADATA_URL}", DPoP algs="${ALGS.join(' ')}"`,
    );
    record('no credential', adapter, answer);
  });

  it('asks for a nonce, then accepts a valid proof and hands out the current nonce (§8)', async () => {
    const answer = await dpopCall(served(), (nonce) =>
      prover.proof({ htm: 'GET', htu: HTU, accessToken: bound, nonce }),
    );
    expect(answer.status).toBe(200);
    expect(answer.headers['dpop-nonce']).toBeTruthy();
    const me = await dpopCall(
      served(),
      (nonce) => prover.proof({ htm: 'GET', htu: `${PUBLIC_ORIGIN}/api/me`, accessToken: bound, nonce }),
      bound,
      '/api/me',
    );
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body).subject).toBeTruthy();
  });

  it('answers 403 insufficient_scope on the DPoP challenge for a DPoP request lacking the scope', async () => {
    const htu = `${PUBLIC_ORIGIN}/api/notes`;
    const json: Headers = [['content-type', 'application/json']];
    const first = await call(
      served(),
      '/api/notes',
      [
        ...json,
        ['authorization', `DPoP ${bound}`],
        ['dpop', await prover.proof({ htm: 'POST', htu, accessToken: bound })],
      ],
      'POST',
      '{"text":"x"}',
    );
    const nonce = first.headers['dpop-nonce'] as string;
    const answer = await call(
      served(),
      '/api/notes',
      [
        ...json,
        ['authorization', `DPoP ${bound}`],
        ['dpop', await prover.proof({ htm: 'POST', htu, accessToken: bound, nonce })],
      ],
      'POST',
      '{"text":"x"}',
    );
    expect(answer.status).toBe(403);
    expect(answer.headers['www-authenticate']).toBe(
      `Bearer realm="${REALM}", resource_metadata="${METADATA_URL}", DPoP algs="${ALGS.join(' ')}", error="insufficient_scope", error_description="The credential lacks the required scope: write.", scope="write"`,
    );
    record('insufficient scope', adapter, answer);
  });

  it('refuses a replayed proof', async () => {
    let proof = '';
    const first = await dpopCall(served(), async (nonce) => {
      proof = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound, nonce });
      return proof;
    });
    expect(first.status).toBe(200);
    const again = await call(served(), '/api/notes', [
      ['authorization', `DPoP ${bound}`],
      ['dpop', proof],
    ]);
    expect(again.status).toBe(401);
    expect(problem(again).error).toBe('invalid_dpop_proof');
    record('replay', adapter, again);
  });

  it('refuses a proof for another URL (the address called instead of the public origin), or method', async () => {
    const internal = await dpopCall(served(), (nonce) =>
      prover.proof({ htm: 'GET', htu: `${served().https}/api/notes`, accessToken: bound, nonce }),
    );
    expect(problem(internal).error).toBe('invalid_dpop_proof');
    const method = await dpopCall(served(), (nonce) =>
      prover.proof({ htm: 'POST', htu: HTU, accessToken: bound, nonce }),
    );
    expect(method.status).toBe(401);
    expect(method.headers['www-authenticate']).toBe(
      `Bearer realm="${REALM}", resource_metadata="${METADATA_URL}", DPoP algs="${ALGS.join(' ')}", error="invalid_dpop_proof", error_description="The DPoP proof is for another HTTP method."`,
    );
    record('wrong htm', adapter, method);
  });

  it('refuses a proof for another token (ath) and a stolen token without its key', async () => {
    const other = await dpopCall(served(), (nonce) =>
      prover.proof({ htm: 'GET', htu: HTU, accessToken: unbound, nonce }),
    );
    expect(problem(other).error).toBe('invalid_dpop_proof');
    const thief = await createDpopProver();
    const first = await call(served(), '/api/notes', [
      ['authorization', `DPoP ${bound}`],
      ['dpop', await thief.proof({ htm: 'GET', htu: HTU, accessToken: bound })],
    ]);
    const nonce = first.headers['dpop-nonce'] as string;
    const stolen = await call(served(), '/api/notes', [
      ['authorization', `DPoP ${bound}`],
      ['dpop', await thief.proof({ htm: 'GET', htu: HTU, accessToken: bound, nonce })],
    ]);
    expect(stolen.status).toBe(401);
    expect(problem(stolen).error).toBe('invalid_token');
    const asBearer = await call(served(), '/api/notes', [['authorization', `Bearer ${bound}`]]);
    expect(asBearer.status).toBe(401);
    expect(problem(asBearer).error).toBe('invalid_token');
    record('bound token as bearer', adapter, asBearer);
  });

  it('still accepts unbound bearer tokens (policy allowed)', async () => {
    const answer = await call(served(), '/api/notes', [['authorization', `Bearer ${unbound}`]]);
    expect(answer.status).toBe(200);
  });
});

describe('all adapters', () => {
  it('answered every recorded case identically', () => {
    expect(answers.size).toBeGreaterThan(0);
    for (const [caseName, byAdapter] of answers) {
      expect(byAdapter.size, caseName).toBe(Object.keys(ADAPTERS).length);
      expect(new Set(byAdapter.values()).size, caseName).toBe(1);
    }
  });
});
