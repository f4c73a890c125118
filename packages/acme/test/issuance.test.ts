import { mkdtempSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { createHttpsServer, type ManagedHttpsServer } from '@restguard/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcmeEvent, type AcmeOptions, createAcmeManager } from '../src/index.js';
import { freePort, type Pebble, startPebble } from './pebble.js';

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

export function get(port: number, ca: string): Promise<{ status: number; body: string; serial: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, servername: DOMAIN, path: '/', ca, agent: false, timeout: 10_000 },
      (res) => {
        const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, serial }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function options(extra: Partial<AcmeOptions> = {}): AcmeOptions {
  return {
    directoryUrl: pebble.directoryUrl,
    directoryCa: pebble.httpsCa,
    domains: [DOMAIN],
    email: 'ops@restguard.test',
    termsOfServiceAgreed: true,
    directory: path.join(mkdtempSync(path.join(tmpdir(), 'rg-acme-')), 'acme'),
    pollIntervalMs: 100,
    ...extra,
  };
}

async function listen(server: ManagedHttpsServer | HttpServer, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}
const close = (server: { close(cb: () => void): unknown; closeAllConnections?: () => void }) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });

describe.each(['http-01', 'tls-alpn-01'] as const)('issuance over %s against Pebble', (challenge) => {
  it('orders, installs into the running server and serves a certificate that chains to Pebble’s root', async () => {
    const events: AcmeEvent[] = [];
    const opts = options({ challenge, onEvent: (e) => events.push(e) });
    const manager = createAcmeManager(opts);
    const files = await manager.prepare();
    const https = createHttpsServer((_req, res) => res.end('hello over acme'), { ...files, watch: false });
    await listen(https, tlsPort);
    const http = createHttpServer(manager.httpChallengeListener());
    if (challenge === 'http-01') await listen(http, httpPort);
    try {
      const root = await pebble.rootPem();
      // The placeholder is served until the order completes: a client trusting Pebble refuses it.
      await expect(get(tlsPort, root)).rejects.toThrow();
      await manager.start(https);
      const answer = await get(tlsPort, root);
      expect(answer).toMatchObject({ status: 200, body: 'hello over acme' });
      expect(answer.serial).toBe(manager.certificate?.serialNumber);
      expect(events.map((e) => e.type)).toEqual([
        'placeholder_installed',
        'certificate_installed',
        'renewal_scheduled',
      ]);
      // Storage: the folder is 0700, every file in it 0600.
      expect(statSync(opts.directory).mode & 0o777).toBe(0o700);
      for (const name of [
        'account-key.pem',
        'certificate.pem',
        'certificate-key.pem',
        'serving-cert.pem',
        'serving-key.pem',
      ]) {
        expect(statSync(path.join(opts.directory, name)).mode & 0o777).toBe(0o600);
      }
    } finally {
      manager.close();
      await close(https);
      if (http.listening) await close(http);
    }
  });
});
