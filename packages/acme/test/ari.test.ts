/**
 * Renewal information (RFC 9773) against a real CA: Pebble 2.4 issues (it has no ARI), and a small
 * HTTPS server on loopback serves a copy of Pebble's directory with `renewalInfo` added and answers
 * the renewal-information GETs, recording the identifiers it was asked for.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServerPlain, type Server } from 'node:https';
import { createDevCa, createHttpsServer, issueCertificate } from '@restguard/core/node';
import * as acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcmeEvent, ariCertificateId, createAcmeManager } from '../src/index.js';
import { acmeOptions, close, get, listen, until } from './helpers.js';
import { freePort, httpsGet, type Pebble, startPebble } from './pebble.js';

type Answer = { status: number; body?: unknown; retryAfter?: string };
const HOUR = 3_600_000;

let pebble: Pebble;
let httpPort: number;
let tlsPort: number;
let ariServer: Server;
let ariCa: string;
let directoryUrl: string;
let newOrderUrl: string;
/** Identifiers the renewalInfo endpoint was asked for, in order. */
const asked: string[] = [];
let answer: (id: string, count: number) => Answer = () => ({ status: 404 });
/** Payloads of the newOrder requests acme-client sent (decoded from their JWS). */
const newOrders: Record<string, unknown>[] = [];

beforeAll(async () => {
  httpPort = await freePort();
  tlsPort = await freePort();
  pebble = await startPebble({ httpPort, tlsPort });
  const ca = await createDevCa({ commonName: 'ari test server CA', days: 1 });
  const tls = await issueCertificate(ca, { usage: 'server', hosts: ['127.0.0.1'], days: 1 });
  ariCa = ca.certPem;
  const pebbleDirectory = JSON.parse((await httpsGet(pebble.directoryUrl, pebble.httpsCa)).body) as Record<
    string,
    unknown
  >;
  newOrderUrl = String(pebbleDirectory.newOrder);
  ariServer = createHttpsServerPlain({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === '/dir') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ...pebbleDirectory, renewalInfo: `${origin()}/renewal-info` }));
      return;
    }
    const match = /^\/renewal-info\/([^/]+)$/.exec(url);
    if (req.method === 'GET' && match) {
      asked.push(match[1]!);
      const reply = answer(match[1]!, asked.filter((id) => id === match[1]).length);
      res.statusCode = reply.status;
      if (reply.retryAfter) res.setHeader('retry-after', reply.retryAfter);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(reply.body ?? {}));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await listen(ariServer as never, 0);
  directoryUrl = `${origin()}/dir`;
  acme.axios.interceptors.request.use((config) => {
    if (config.url === newOrderUrl && config.method === 'post') {
      const jws = (typeof config.data === 'string' ? JSON.parse(config.data) : config.data) as {
        payload: string;
      };
      newOrders.push(JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8')));
    }
    return config;
  });
});
afterAll(async () => {
  if (ariServer) await close(ariServer);
  await pebble?.close();
});

function origin(): string {
  return `https://127.0.0.1:${(ariServer.address() as { port: number }).port}`;
}

const windowOf = (fromNowMs: number, lengthMs: number) => ({
  start: new Date(Date.now() + fromNowMs).toISOString(),
  end: new Date(Date.now() + fromNowMs + lengthMs).toISOString(),
});
const within = (at: Date, window: { start: string; end: string }) =>
  at.getTime() >= Date.parse(window.start) && at.getTime() <= Date.parse(window.end);

async function issued() {
  asked.length = 0;
  newOrders.length = 0;
  const events: AcmeEvent[] = [];
  const options = acmeOptions(pebble, {
    directoryUrl,
    directoryCa: pebble.httpsCa + ariCa,
    ari: { pollMinMs: 100 },
    onEvent: (e) => events.push(e),
  });
  const manager = createAcmeManager(options);
  const https = createHttpsServer((_req, res) => res.end('ok'), {
    ...(await manager.prepare()),
    watch: false,
  });
  await listen(https, tlsPort);
  const http = createHttpServer(manager.httpChallengeListener());
  await listen(http, httpPort);
  await manager.start(https);
  const servedId = () => ariCertificateId(readFileSync(manager.files.certFile, 'utf8'));
  const shutdown = async () => {
    manager.close();
    await close(https);
    await close(http);
  };
  return { manager, events, servedId, shutdown };
}

const scheduled = (events: AcmeEvent[], source: 'ari' | 'lifetime') =>
  events.filter(
    (e): e is Extract<AcmeEvent, { type: 'renewal_scheduled' }> =>
      e.type === 'renewal_scheduled' && e.source === source,
  );

describe('renewal information (RFC 9773)', () => {
  it('renews inside the suggested window, asks for the served certificate’s id, re-polls after Retry-After', async () => {
    const first = windowOf(24 * HOUR, 24 * HOUR);
    const second = windowOf(72 * HOUR, 24 * HOUR);
    answer = (_id, count) =>
      count === 1
        ? {
            status: 200,
            retryAfter: '1',
            body: { suggestedWindow: first, explanationURL: 'https://ca.example/why' },
          }
        : { status: 200, retryAfter: '3600', body: { suggestedWindow: second } };
    const { manager, events, servedId, shutdown } = await issued();
    try {
      await until(() => scheduled(events, 'ari').length >= 2, 'the second renewal-information answer');
      const id = servedId();
      expect(asked.slice(0, 2)).toEqual([id, id]);
      // The serial part is the served certificate's serial number.
      const serial = Buffer.from(id.split('.')[1]!, 'base64url');
      expect(serial[0]! & 0x80).toBe(0);
      expect(BigInt(`0x${serial.toString('hex')}`)).toBe(BigInt(`0x${manager.certificate!.serialNumber}`));
      const [a, b] = scheduled(events, 'ari');
      expect(within(a!.at, first)).toBe(true);
      expect(a!.explanationURL).toBe('https://ca.example/why');
      expect(a!.window).toEqual({ start: new Date(first.start), end: new Date(first.end) });
      // The window moved: a new time inside the new one.
      expect(within(b!.at, second)).toBe(true);
      expect(manager.renewalAt).toEqual(b!.at);
      expect(scheduled(events, 'lifetime')).toEqual([]);
      // The first order replaced nothing.
      expect(newOrders).toHaveLength(1);
      expect(newOrders[0]).not.toHaveProperty('replaces');
    } finally {
      await shutdown();
    }
  });

  it('renews at once when the window has passed, sending replaces: <id> in the newOrder', async () => {
    let firstId: string | undefined;
    answer = (id) => {
      firstId ??= id;
      return {
        status: 200,
        retryAfter: '3600',
        body: { suggestedWindow: id === firstId ? windowOf(-2 * HOUR, HOUR) : windowOf(24 * HOUR, HOUR) },
      };
    };
    const { manager, events, servedId, shutdown } = await issued();
    try {
      await until(
        () => events.filter((e) => e.type === 'certificate_installed').length >= 2,
        'the renewal the past window asks for',
      );
      expect(firstId).toBeDefined();
      expect(newOrders).toHaveLength(2);
      expect(newOrders[0]).not.toHaveProperty('replaces');
      expect(newOrders[1]).toMatchObject({ replaces: firstId });
      // The new certificate is served, and its own renewal information is asked for next.
      const current = manager.certificate!.serialNumber;
      expect((await get(tlsPort, await pebble.rootPem())).serial).toBe(current);
      await until(() => asked.includes(servedId()), 'the renewed certificate’s renewal information');
      expect(servedId()).not.toBe(firstId);
    } finally {
      await shutdown();
    }
  });

  it('falls back to the lifetime rule when the renewal information fails', async () => {
    answer = () => ({ status: 500, body: { type: 'about:blank', status: 500 } });
    const { manager, events, servedId, shutdown } = await issued();
    try {
      await until(() => scheduled(events, 'lifetime').length > 0, 'the lifetime schedule');
      expect(asked).toEqual([servedId()]);
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'renewal_info_failed', retryInMs: 6 * HOUR }),
      );
      expect(scheduled(events, 'ari')).toEqual([]);
      const [lifetime] = scheduled(events, 'lifetime');
      expect(lifetime!.at.getTime()).toBeLessThan(manager.certificate!.notAfter.getTime());
      expect(manager.renewalAt).toEqual(lifetime!.at);
    } finally {
      await shutdown();
    }
  });
});
