import { createServer as createHttpServer } from 'node:http';
import { createHttpsServer } from '@restguard/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcmeEvent, createAcmeManager } from '../src/index.js';
import { acmeOptions, close, get, listen, until } from './helpers.js';
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

async function issued(extra: Parameters<typeof acmeOptions>[1] = {}) {
  const events: AcmeEvent[] = [];
  const manager = createAcmeManager(acmeOptions(pebble, { ...extra, onEvent: (e) => events.push(e) }));
  const https = createHttpsServer((_req, res) => res.end('ok'), {
    ...(await manager.prepare()),
    watch: false,
  });
  await listen(https, tlsPort);
  const http = createHttpServer(manager.httpChallengeListener());
  await listen(http, httpPort);
  await manager.start(https);
  const shutdown = async () => {
    manager.close();
    await close(https);
    await close(http);
  };
  return { manager, events, shutdown };
}

describe('renewal', () => {
  it('swaps the certificate of a server under load with zero failed requests', async () => {
    const { manager, shutdown } = await issued();
    try {
      const root = await pebble.rootPem();
      const before = manager.certificate!.serialNumber;
      const failures: unknown[] = [];
      const serials = new Set<string>();
      let renewed = false;
      let afterRenewal = 0;
      // Eight clients, each opening a new connection per request, until 40 requests have seen the
      // renewed server (bounded: 2000 requests at most).
      let budget = 2000;
      const worker = async () => {
        while (budget-- > 0 && afterRenewal < 40) {
          const done = renewed;
          try {
            const answer = await get(tlsPort, root);
            if (answer.status !== 200) failures.push(answer.status);
            serials.add(answer.serial);
          } catch (error) {
            failures.push(error);
          }
          if (done) afterRenewal += 1;
        }
      };
      const load = Promise.all(Array.from({ length: 8 }, worker));
      await until(() => serials.size > 0, 'the first answers under load');
      expect(await manager.renewNow()).toBe(true);
      renewed = true;
      await load;
      const after = manager.certificate!.serialNumber;
      expect(after).not.toBe(before);
      expect(failures).toEqual([]);
      expect(afterRenewal).toBeGreaterThanOrEqual(40);
      // Requests before the swap saw the old certificate, requests after it the new one.
      expect(serials).toEqual(new Set([before, after]));
      expect((await get(tlsPort, root)).serial).toBe(after);
    } finally {
      await shutdown();
    }
  });

  it('renews on its own at the configured point of the lifetime', async () => {
    // 1e-8 of Pebble's 5-year lifetime is about 1.6 s, without jitter.
    const { manager, events, shutdown } = await issued({ renewAtFraction: 1e-8, renewJitterFraction: 0 });
    try {
      const first = manager.certificate!;
      const scheduled = events.find((e) => e.type === 'renewal_scheduled');
      expect(scheduled?.type === 'renewal_scheduled' && scheduled.at.getTime()).toBeLessThan(
        first.notAfter.getTime(),
      );
      await until(
        () => events.filter((e) => e.type === 'certificate_installed').length >= 2,
        'the scheduled renewal',
      );
      expect(manager.certificate!.serialNumber).not.toBe(first.serialNumber);
    } finally {
      await shutdown();
    }
  });

  it('keeps serving when the CA is down, reports it, and renews once the CA is back', async () => {
    const { manager, events, shutdown } = await issued({
      retry: { minMs: 200, maxMs: 1000 },
      // Pebble issues 5-year certificates: warn for anything expiring within 10 years.
      warnBeforeMs: 10 * 366 * 86_400_000,
    });
    try {
      const oldRoot = await pebble.rootPem();
      const before = manager.certificate!;
      await pebble.stop();
      expect(await manager.renewNow()).toBe(false);
      const failed = events.find((e) => e.type === 'order_failed');
      expect(failed).toMatchObject({ type: 'order_failed', notAfter: before.notAfter });
      expect(failed?.type === 'order_failed' && failed.retryInMs).toBeGreaterThan(0);
      expect(events).toContainEqual({
        type: 'expiring',
        notAfter: before.notAfter,
        serialNumber: before.serialNumber,
      });
      // The old certificate keeps serving.
      expect((await get(tlsPort, oldRoot)).serial).toBe(before.serialNumber);
      const installedBefore = events.filter((e) => e.type === 'certificate_installed').length;
      await pebble.restart();
      // The manager's own retry (with backoff) succeeds now; nothing else triggers it.
      await until(
        () => events.filter((e) => e.type === 'certificate_installed').length > installedBefore,
        'the renewal after the CA came back',
      );
      const after = manager.certificate!;
      expect(after.serialNumber).not.toBe(before.serialNumber);
      expect((await get(tlsPort, await pebble.rootPem())).serial).toBe(after.serialNumber);
    } finally {
      await shutdown();
    }
  });
});
