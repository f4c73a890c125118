/**
 * Many instances on one PostgreSQL: two managers (two HTTPS servers) behind one "load balancer" on
 * the CA's HTTP-01 port, alternating between them. They make exactly one order and both serve it; a
 * renewal by one is loaded by the other through LISTEN/NOTIFY.
 */
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, request, type Server } from 'node:http';
import { createHttpsServer } from '@restguard/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcmeEvent, type AcmeStorage, createAcmeManager } from '../src/index.js';
import { createPostgresAcmeStorage } from '../src/postgres.js';
import { acmeOptions, close, get, listen, until } from './helpers.js';
import { freePort, type Pebble, startPebble } from './pebble.js';

function databaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url)
    throw new Error('TEST_DATABASE_URL is not set: run the tests through `npm test` (it starts PostgreSQL).');
  return url;
}

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

/** A round-robin HTTP proxy: request n goes to backends[n % backends.length]. */
function loadBalancer(backends: number[], seen: string[]): Server {
  let next = 0;
  return createHttpServer((req, res) => {
    seen.push(req.url ?? '');
    const port = backends[next++ % backends.length]!;
    const upstream = request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
}

describe('two instances on one PostgreSQL', () => {
  it('make exactly one order, both serve it, and a renewal reaches the other by NOTIFY', async () => {
    const name = `test-${randomUUID()}`;
    const instances = await Promise.all(
      [0, 1].map(async () => {
        const events: AcmeEvent[] = [];
        const shared = createPostgresAcmeStorage({ connectionString: databaseUrl(), name });
        let saves = 0;
        const storage: AcmeStorage = {
          ...shared,
          saveCertificate: async (certificate) => {
            saves += 1;
            await shared.saveCertificate(certificate);
          },
        };
        const manager = createAcmeManager(acmeOptions(pebble, { storage, onEvent: (e) => events.push(e) }));
        const https = createHttpsServer((_req, res) => res.end('ok'), {
          ...(await manager.prepare()),
          watch: false,
        });
        const port = await freePort();
        await listen(https, port);
        const http = createHttpServer(manager.httpChallengeListener());
        const httpBackend = await freePort();
        await listen(http, httpBackend);
        return { manager, events, https, http, port, httpBackend, shared, saves: () => saves };
      }),
    );
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const validations: string[] = [];
    const balancer = loadBalancer([a.httpBackend, b.httpBackend], validations);
    await listen(balancer, httpPort);
    try {
      await Promise.all([a.manager.start(a.https), b.manager.start(b.https)]);
      const orders = instances.flatMap((i) =>
        i.events.filter((e) => e.type === 'certificate_installed' && e.source === 'order'),
      );
      expect(orders).toHaveLength(1);
      expect(a.saves() + b.saves()).toBe(1);
      // Pebble validated through the balancer, which alternates between the instances.
      expect(
        validations.filter((url) => url.startsWith('/.well-known/acme-challenge/')).length,
      ).toBeGreaterThan(0);
      const serial = a.manager.certificate!.serialNumber;
      expect(b.manager.certificate!.serialNumber).toBe(serial);
      const root = await pebble.rootPem();
      expect((await get(a.port, root)).serial).toBe(serial);
      expect((await get(b.port, root)).serial).toBe(serial);

      // One renews; the other loads the new certificate when told (LISTEN/NOTIFY), without ordering.
      const renewer = a.saves() === 1 ? b : a;
      const other = renewer === a ? b : a;
      expect(await renewer.manager.renewNow()).toBe(true);
      const renewed = renewer.manager.certificate!.serialNumber;
      expect(renewed).not.toBe(serial);
      await until(() => other.manager.certificate?.serialNumber === renewed, 'the other instance to load it');
      expect((await get(other.port, root)).serial).toBe(renewed);
      expect(
        other.events.filter((e) => e.type === 'certificate_installed' && e.source === 'order'),
      ).toHaveLength(other.saves());
    } finally {
      await close(balancer);
      for (const i of instances) {
        i.manager.close();
        await close(i.https);
        await close(i.http);
        await i.shared.close?.();
      }
    }
  });
});
