/**
 * RFC 8705 certificate-bound access tokens over real mutual-TLS sockets: the token's
 * `cnf["x5t#S256"]` must match the certificate the connection presented (or a trusted proxy
 * forwarded); otherwise 401 invalid_token.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, type Guard } from '../src/guard.js';
import {
  createDevCa,
  createHttpsServer,
  type DevCertificates,
  ensureDevCertificates,
  issueCertificate,
  type PemPair,
} from '../src/node/index.js';
import { certificateThumbprint } from '../src/tls/index.js';
import {
  AUDIENCE,
  closeServer,
  createIssuerKey,
  guardHandler,
  ISSUER,
  listenHttp,
  portOf,
  send,
} from './tls-fixtures.js';

let dir: string;
let dev: DevCertificates;
let issuer: Awaited<ReturnType<typeof createIssuerKey>>;
let clientA: PemPair;
let clientB: PemPair;
let foreign: PemPair;
const servers: Server[] = [];
const guards: Guard[] = [];

const thumbprint = (pair: PemPair) =>
  certificateThumbprint(new Uint8Array(new X509Certificate(pair.certPem).raw));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restguard-mtls-'));
  dev = await ensureDevCertificates(dir);
  issuer = await createIssuerKey();
  const ca = { certPem: dev.caCertPem, keyPem: await readFile(join(dir, 'dev-ca.key'), 'utf8') };
  clientA = await issueCertificate(ca, { usage: 'client', commonName: 'machine-a', days: 1 });
  clientB = await issueCertificate(ca, { usage: 'client', commonName: 'machine-b', days: 1 });
  const otherCa = await createDevCa({ commonName: 'someone else', days: 1 });
  foreign = await issueCertificate(otherCa, { usage: 'client', commonName: 'self-managed', days: 1 });
});
afterAll(async () => {
  await Promise.all(servers.map(closeServer));
  await Promise.all(guards.map((guard) => guard.close()));
  await rm(dir, { recursive: true, force: true });
});

function newGuard(tls: Parameters<typeof createGuard>[0]['tls'] = {}) {
  const guard = createGuard({
    tokens: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks }] },
    tls,
  });
  guards.push(guard);
  return guard;
}

async function mtlsServer(allowUnverifiedCertificates = false): Promise<string> {
  const server = createHttpsServer(guardHandler(newGuard(), ['read'], { allowUnverifiedCertificates }), {
    certFile: dev.certFile,
    keyFile: dev.keyFile,
    caFile: dev.caFile,
    requestCert: true,
    // Let certificate-less and foreign clients reach the guard, which then decides.
    rejectUnauthorized: false,
    watch: false,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `https://127.0.0.1:${portOf(server)}/api/notes`;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const as = (pair?: PemPair) => (pair ? { cert: pair.certPem, key: pair.keyPem } : {});

describe('certificate-bound tokens over mTLS (RFC 8705 §3)', () => {
  it('accepts the token only over a connection presenting the bound certificate', async () => {
    const url = await mtlsServer();
    const token = await issuer.mint({ cnf: { 'x5t#S256': await thumbprint(clientA) } });
    const ok = await send(url, { headers: bearer(token), ca: dev.caCertPem, ...as(clientA) });
    expect(ok.status).toBe(200);
    for (const client of [clientB, undefined, foreign]) {
      const reply = await send(url, { headers: bearer(token), ca: dev.caCertPem, ...as(client) });
      expect(reply.status).toBe(401);
      expect(reply.headers['www-authenticate']).toContain('error="invalid_token"');
      expect(reply.headers['strict-transport-security']).toBeDefined();
    }
  });

  it('leaves unbound tokens alone, with or without a client certificate', async () => {
    const url = await mtlsServer();
    const token = await issuer.mint();
    expect((await send(url, { headers: bearer(token), ca: dev.caCertPem })).status).toBe(200);
    expect((await send(url, { headers: bearer(token), ca: dev.caCertPem, ...as(clientB) })).status).toBe(200);
  });

  it('binds to an unverified (self-signed, §2.2) certificate only when the server opts in', async () => {
    const token = await issuer.mint({ cnf: { 'x5t#S256': await thumbprint(foreign) } });
    const strict = await mtlsServer(false);
    expect((await send(strict, { headers: bearer(token), ca: dev.caCertPem, ...as(foreign) })).status).toBe(
      401,
    );
    const selfSigned = await mtlsServer(true);
    expect(
      (await send(selfSigned, { headers: bearer(token), ca: dev.caCertPem, ...as(foreign) })).status,
    ).toBe(200);
    expect(
      (await send(selfSigned, { headers: bearer(token), ca: dev.caCertPem, ...as(clientA) })).status,
    ).toBe(401);
  });
});

describe('certificate forwarded by a TLS-terminating proxy', () => {
  it('uses the header only from a trusted proxy configured for it', async () => {
    const token = await issuer.mint({ cnf: { 'x5t#S256': await thumbprint(clientA) } });
    const forwarded = (pair: PemPair) => ({
      ...bearer(token),
      'x-forwarded-proto': 'https',
      'x-client-cert': encodeURIComponent(pair.certPem),
    });
    const trusted = await listenHttp(
      guardHandler(newGuard({ trustedProxies: ['127.0.0.1'], clientCertificateHeader: 'x-client-cert' })),
    );
    servers.push(trusted);
    const url = `http://127.0.0.1:${portOf(trusted)}/api/notes`;
    expect((await send(url, { headers: forwarded(clientA) })).status).toBe(200);
    expect((await send(url, { headers: forwarded(clientB) })).status).toBe(401);
    expect((await send(url, { headers: { ...bearer(token), 'x-forwarded-proto': 'https' } })).status).toBe(
      401,
    );

    // Trusted for the protocol, but not configured to take a certificate header: the header is ignored.
    const protoOnly = await listenHttp(guardHandler(newGuard({ trustedProxies: ['127.0.0.1'] })));
    servers.push(protoOnly);
    const reply = await send(`http://127.0.0.1:${portOf(protoOnly)}/api/notes`, {
      headers: forwarded(clientA),
    });
    expect(reply.status).toBe(401);
  });
});
