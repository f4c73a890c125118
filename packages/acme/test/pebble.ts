/**
 * A real ACME CA for tests: Debian's `pebble` and `pebble-challtestsrv` (as its DNS server only) on
 * loopback, free ports, with an HTTPS certificate from restguard's development CA (the package ships
 * none). Pebble's issuing root changes at every start: `rootPem()` fetches the current one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDevCa, issueCertificate } from '@restguard/core/node';

export interface Pebble {
  /** The directory URL. */
  readonly directoryUrl: string;
  /** PEM: the CA that Pebble's own HTTPS certificate chains to (trust it to reach the directory). */
  readonly httpsCa: string;
  /** Current issuing root (changes at every start). */
  rootPem(): Promise<string>;
  /** Stops Pebble (the DNS server keeps running). */
  stop(): Promise<void>;
  /** Starts Pebble again on the same ports. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A port that is free now and stays out of the way of the system's own choices: picked at random
 * below Linux's ephemeral range (32768–60999). Pebble is told these ports once and the tests bind them
 * later, test by test; a port from the ephemeral range (`listen(0)`) could meanwhile become the source
 * port of any outgoing connection on the machine (EADDRINUSE under the parallel test command).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
    if (attempt === 50) throw new Error('no free port found below the ephemeral range');
  }
}

export function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(check: () => Promise<unknown>, what: string): Promise<void> {
  let last: unknown;
  for (let i = 0; i < 200; i++) {
    try {
      await check();
      return;
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${what} did not come up: ${String(last)}`);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(command, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  child.stderr?.resume();
  return child;
}

async function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * Starts Pebble to validate challenges on `httpPort` (HTTP-01) and `tlsPort` (TLS-ALPN-01), with
 * every name resolving to 127.0.0.1 (IPv4 only).
 */
export async function startPebble(options: { httpPort: number; tlsPort: number }): Promise<Pebble> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-pebble-'));
  const ca = await createDevCa({ commonName: 'pebble test https CA', days: 2 });
  const tls = await issueCertificate(ca, { usage: 'server', hosts: ['localhost', '127.0.0.1'], days: 2 });
  writeFileSync(path.join(dir, 'cert.pem'), tls.certPem);
  writeFileSync(path.join(dir, 'key.pem'), tls.keyPem);
  const [acmePort, managementPort, dnsPort, dnsManagementPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: path.join(dir, 'cert.pem'),
        privateKey: path.join(dir, 'key.pem'),
        httpPort: options.httpPort,
        tlsPort: options.tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const dns = run('pebble-challtestsrv', [
    '-dns01',
    `127.0.0.1:${dnsPort}`,
    '-http01',
    '',
    '-https01',
    '',
    '-tlsalpn01',
    '',
    '-management',
    `127.0.0.1:${dnsManagementPort}`,
    '-defaultIPv4',
    '127.0.0.1',
    '-defaultIPv6',
    '',
  ]);
  await waitFor(
    () =>
      new Promise<void>((resolve, reject) => {
        const socket = connect(dnsManagementPort, '127.0.0.1', () => {
          socket.end();
          resolve();
        });
        socket.on('error', reject);
      }),
    'pebble-challtestsrv',
  );
  let pebble: ChildProcess | undefined;
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const start = async () => {
    pebble = run('pebble', ['-config', path.join(dir, 'config.json'), '-dnsserver', `127.0.0.1:${dnsPort}`], {
      PEBBLE_VA_NOSLEEP: '1',
      PEBBLE_AUTHZREUSE: '0',
      PEBBLE_WFE_NONCEREJECT: '0',
    });
    await waitFor(() => httpsGet(directoryUrl, ca.certPem), 'pebble');
  };
  await start();
  return {
    directoryUrl,
    httpsCa: ca.certPem,
    async rootPem() {
      const { status, body } = await httpsGet(`https://127.0.0.1:${managementPort}/roots/0`, ca.certPem);
      if (status !== 200) throw new Error(`pebble roots: ${status}`);
      return body;
    },
    stop: () => kill(pebble),
    async restart() {
      await kill(pebble);
      await start();
    },
    async close() {
      await kill(pebble);
      await kill(dns);
    },
  };
}
