import { existsSync, statSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import path from 'node:path';
import { ConfigInvalidError } from '@restguard/core';
import { createHttpsServer } from '@restguard/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcmeEvent, createAcmeManager } from '../src/index.js';
import { acmeOptions, close, get, listen } from './helpers.js';
import { freePort, type Pebble, startPebble } from './pebble.js';

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

describe.each(['http-01', 'tls-alpn-01'] as const)('issuance over %s against Pebble', (challenge) => {
  it('orders, installs into the running server and serves a certificate that chains to Pebble’s root', async () => {
    const events: AcmeEvent[] = [];
    const opts = acmeOptions(pebble, { challenge, onEvent: (e) => events.push(e) });
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

describe('a challenge that fails', () => {
  it('rejects start with the CA’s reason and installs nothing', async () => {
    const opts = acmeOptions(pebble);
    const manager = createAcmeManager(opts);
    const files = await manager.prepare();
    const https = createHttpsServer((_req, res) => res.end('x'), { ...files, watch: false });
    await listen(https, tlsPort);
    manager.httpChallengeListener(); // made, but port 80 (here httpPort) answers something else
    const http = createHttpServer((_req, res) => res.writeHead(404).end('not the key authorization'));
    await listen(http, httpPort);
    try {
      const failure = await manager.start(https).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      expect(failure).toBeInstanceOf(Error);
      expect(failure?.message).toMatch(/^ACME order for notes\.restguard\.test failed: /);
      expect(failure?.message).toMatch(/acme-challenge\/.* returned 404/);
      expect(manager.certificate).toBeUndefined();
      expect(existsSync(path.join(opts.directory, 'certificate.pem'))).toBe(false);
      // Still the placeholder: a client trusting Pebble's root refuses it.
      await expect(get(tlsPort, await pebble.rootPem())).rejects.toThrow();
    } finally {
      manager.close();
      await close(https);
      await close(http);
    }
  });
});

describe('configuration errors before any order', () => {
  it('refuses http-01 without the plain-HTTP challenge listener', async () => {
    const manager = createAcmeManager(acmeOptions(pebble, { challenge: 'http-01' }));
    const https = createHttpsServer((_req, res) => res.end('x'), {
      ...(await manager.prepare()),
      watch: false,
    });
    await expect(manager.start(https)).rejects.toThrow(ConfigInvalidError);
    await expect(manager.start(https)).rejects.toThrow(/http-01 needs the plain-HTTP listener/);
    manager.close();
  });

  it('refuses a directory that does not answer, before ordering', async () => {
    const opts = acmeOptions(pebble, { challenge: 'tls-alpn-01', directoryUrl: 'https://127.0.0.1:1/dir' });
    const manager = createAcmeManager(opts);
    const https = createHttpsServer((_req, res) => res.end('x'), {
      ...(await manager.prepare()),
      watch: false,
    });
    const failure = await manager.start(https).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigInvalidError);
    expect((failure as Error).message).toMatch(
      /The ACME directory https:\/\/127\.0\.0\.1:1\/dir does not answer/,
    );
    expect(existsSync(path.join(opts.directory, 'certificate.pem'))).toBe(false);
    manager.close();
  });
});
