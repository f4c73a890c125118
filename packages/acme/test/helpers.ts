import { mkdtempSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { ManagedHttpsServer } from '@restguard/core/node';
import type { AcmeOptions } from '../src/index.js';
import type { Pebble } from './pebble.js';

export const DOMAIN = 'notes.restguard.test';

/** GET / over a new connection to 127.0.0.1:port as DOMAIN, trusting only `ca`. */
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

export function acmeOptions(pebble: Pebble, extra: Partial<AcmeOptions> = {}): AcmeOptions {
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

export async function listen(server: ManagedHttpsServer | HttpServer, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

export const close = (server: { close(cb: () => void): unknown; closeAllConnections?: () => void }) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });

/** Resolves when `check` is true, polling every 50 ms for at most `tries` times. */
export async function until(check: () => boolean, what: string, tries = 600): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}
