/**
 * The ACME issue's demo check: each demo app started with the TLS_ACME_* variables against a real
 * ACME CA (Pebble, on loopback) answers over HTTPS with a certificate Pebble issued, verified by a
 * client that trusts only Pebble's root. Express and Hono use HTTP-01 (HTTP_PORT), Fastify TLS-ALPN-01.
 */
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Pebble, startPebble } from '../../../packages/acme/test/pebble.js';
import { type Started, startApp, tempDir } from './processes.js';

const DOMAIN = 'notes.restguard.test';
let pebble: Pebble;
let httpPort: number;
let tlsPort: number;

beforeAll(async () => {
  httpPort = await freePort();
  tlsPort = await freePort();
  pebble = await startPebble({ httpPort, tlsPort });
});
afterAll(async () => {
  await pebble?.close();
});

function get(path: string, ca: string): Promise<{ status: number; body: string; issuer: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: tlsPort, servername: DOMAIN, path, ca, agent: false, timeout: 10_000 },
      (res) => {
        const issuer = String((res.socket as TLSSocket).getPeerCertificate().issuer.CN ?? '');
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, issuer }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe.each([
  ['express', 'http-01'],
  ['fastify', 'tls-alpn-01'],
  ['hono', 'http-01'],
] as const)('demo-%s with TLS_ACME_* (%s)', (framework, challenge) => {
  let app: Started;
  const caFile = `${tempDir('pebble-ca')}/pebble-https-ca.pem`;

  beforeAll(async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(caFile, pebble.httpsCa);
    app = await startApp(
      `demo-${framework}`,
      {
        PORT: String(tlsPort),
        DEV_ISSUER_PORT: '0',
        RESTGUARD_DATA_DIR: tempDir(`demo-acme-${framework}`),
        TLS_ACME_DIRECTORY: pebble.directoryUrl,
        TLS_ACME_DOMAINS: DOMAIN,
        TLS_ACME_EMAIL: 'ops@restguard.test',
        TLS_ACME_CA_FILE: caFile,
        TLS_ACME_CHALLENGE: challenge,
        ...(challenge === 'http-01' ? { HTTP_PORT: String(httpPort) } : {}),
      },
      /browser: https:\/\/\S+\//,
    );
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('answers over HTTPS with a certificate Pebble issued, trusted through Pebble’s root only', async () => {
    expect(app.output()).toContain(`listening on https://${DOMAIN}:${tlsPort}`);
    const root = await pebble.rootPem();
    const health = await get('/healthz', root);
    expect(health.status).toBe(200);
    expect(health.issuer).toMatch(/^Pebble Intermediate CA/);
    const anonymous = await get('/api/notes', root);
    expect(anonymous.status).toBe(401);
  });
});
