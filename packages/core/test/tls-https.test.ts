import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConnectionOptions, connect } from 'node:tls';
import { isMainThread } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../src/errors.js';
import {
  createHttpsServer,
  type DevCertificates,
  devCertificateHelp,
  ensureDevCertificates,
  issueCertificate,
  loadTlsCredentials,
  type ManagedHttpsServer,
  type TlsReloadEvent,
} from '../src/node/index.js';

let dir: string;
let dev: DevCertificates;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restguard-tls-'));
  dev = await ensureDevCertificates(join(dir, 'data'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Opens a TLS connection and resolves with the server certificate, or rejects with the TLS error. */
function handshake(port: number, options: ConnectionOptions = {}): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ...options }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(new X509Certificate(raw));
    });
    socket.on('error', reject);
  });
}

async function listen(server: ManagedHttpsServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function close(server: ManagedHttpsServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('ensureDevCertificates', () => {
  it('generates a CA and a server certificate, private keys mode 0600', async () => {
    expect(dev.generated).toBe(true);
    const ca = new X509Certificate(dev.caCertPem);
    const leaf = new X509Certificate(dev.certPem);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(ca) && leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.checkIP('::1')).toBe('::1');
    expect((await stat(dev.keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'data', 'dev-ca.key'))).mode & 0o777).toBe(0o600);
  });

  it('reuses what it generated, and re-issues for other hosts or a missing key under the same CA', async () => {
    const again = await ensureDevCertificates(join(dir, 'data'));
    expect(again.generated).toBe(false);
    expect(again.certPem).toBe(dev.certPem);
    const other = await ensureDevCertificates(join(dir, 'data'), { hosts: ['api.localhost', '127.0.0.1'] });
    expect(other.generated).toBe(true);
    expect(other.caCertPem).toBe(dev.caCertPem);
    expect(new X509Certificate(other.certPem).checkHost('api.localhost')).toBe('api.localhost');
    await unlink(other.keyFile);
    const restored = await ensureDevCertificates(join(dir, 'data'));
    expect(restored.generated).toBe(true);
    expect(restored.caCertPem).toBe(dev.caCertPem);
    expect(new X509Certificate(restored.certPem).checkIP('::1')).toBe('::1');
    dev = restored;
  });

  it('shares one generation between concurrent calls', async () => {
    const fresh = join(dir, 'concurrent');
    const [a, b] = await Promise.all([ensureDevCertificates(fresh), ensureDevCertificates(fresh)]);
    expect(a.certPem).toBe(b.certPem);
    expect(a.caCertPem).toBe(b.caCertPem);
  });

  it('prints how to trust the CA', () => {
    const lines = devCertificateHelp('/srv/my data/dev-ca.crt', { url: 'https://localhost:8443/healthz' });
    expect(lines.join('\n')).toContain(
      "curl --cacert '/srv/my data/dev-ca.crt' https://localhost:8443/healthz",
    );
    expect(lines.join('\n')).toContain("NODE_EXTRA_CA_CERTS='/srv/my data/dev-ca.crt'");
  });
});

describe('createHttpsServer', () => {
  it('serves HTTPS that a client trusting only the generated CA verifies, by IP and by name', async () => {
    const server = createHttpsServer((_req, res) => res.end('ok'), {
      certFile: dev.certFile,
      keyFile: dev.keyFile,
    });
    const port = await listen(server);
    try {
      const byIp = await handshake(port, { ca: dev.caCertPem });
      expect(byIp.fingerprint256).toBe(new X509Certificate(dev.certPem).fingerprint256);
      await handshake(port, { ca: dev.caCertPem, servername: 'localhost' });
      // Node's own CA store does not know the development CA.
      await expect(handshake(port)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
      // A name the certificate was not issued for.
      await expect(handshake(port, { ca: dev.caCertPem, servername: 'evil.example' })).rejects.toMatchObject({
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
    } finally {
      await close(server);
    }
  });

  it('refuses TLS 1.1 and below (TLS 1.2 minimum)', async () => {
    const server = createHttpsServer((_req, res) => res.end('ok'), {
      certFile: dev.certFile,
      keyFile: dev.keyFile,
    });
    const port = await listen(server);
    try {
      const legacy = {
        ca: dev.caCertPem,
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        ciphers: 'DEFAULT@SECLEVEL=0',
      } as const;
      await expect(handshake(port, legacy)).rejects.toMatchObject({
        code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
      });
      await handshake(port, { ca: dev.caCertPem, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    } finally {
      await close(server);
    }
  });

  it('refuses bad files and options at start-up', async () => {
    const caKeyPem = await readFile(join(dir, 'data', 'dev-ca.key'), 'utf8');
    const other = await issueCertificate(
      { certPem: dev.caCertPem, keyPem: caKeyPem },
      { usage: 'server', hosts: ['localhost'], days: 1 },
    );
    const wrongKey = join(dir, 'wrong.key');
    await writeFile(wrongKey, other.keyPem, { mode: 0o600 });
    await expect(loadTlsCredentials({ certFile: dev.certFile, keyFile: wrongKey })).rejects.toThrow(
      /does not match the certificate/,
    );
    await expect(
      loadTlsCredentials({ certFile: join(dir, 'nope.crt'), keyFile: dev.keyFile }),
    ).rejects.toBeInstanceOf(ConfigInvalidError);
    expect(() =>
      createHttpsServer(() => undefined, { certFile: dev.certFile, keyFile: dev.keyFile, requestCert: true }),
    ).toThrow(/caFile/);
    expect(() => createHttpsServer(() => undefined, { ...dev, minVersion: 'TLSv1.1' as never })).toThrow(
      ConfigInvalidError,
    );
    expect(() => createHttpsServer(() => undefined, { certFile: dev.certFile, keyFile: wrongKey })).toThrow(
      /does not match the certificate/,
    );
  });
});

describe('certificate reload without restart', () => {
  let caKeyPem: string;
  beforeAll(async () => {
    caKeyPem = await readFile(join(dir, 'data', 'dev-ca.key'), 'utf8');
  });
  const issue = () =>
    issueCertificate(
      { certPem: dev.caCertPem, keyPem: caKeyPem },
      { usage: 'server', hosts: ['127.0.0.1'], days: 30 },
    );

  /** Resolves with the first event from index `from` on that matches `test`. */
  function waitFor(
    events: TlsReloadEvent[],
    listeners: Array<() => void>,
    from: number,
    test: (e: TlsReloadEvent) => boolean,
  ) {
    return new Promise<TlsReloadEvent>((resolve) => {
      const check = () => {
        const found = events.slice(from).find(test);
        if (found) resolve(found);
      };
      listeners.push(check);
      check();
    });
  }

  it('serves a certificate swapped on disk to the next connection, and keeps it when new files are invalid', async () => {
    const certFile = join(dir, 'live.crt');
    const keyFile = join(dir, 'live.key');
    const first = await issue();
    await writeFile(certFile, first.certPem);
    await writeFile(keyFile, first.keyPem, { mode: 0o600 });
    const events: TlsReloadEvent[] = [];
    const listeners: Array<() => void> = [];
    const server = createHttpsServer((_req, res) => res.end('ok'), {
      certFile,
      keyFile,
      pollIntervalMs: 100,
      onReload: (event) => {
        events.push(event);
        for (const listener of listeners) listener();
      },
    });
    const port = await listen(server);
    try {
      const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
      expect((await handshake(port, { ca: dev.caCertPem })).fingerprint256).toBe(fingerprint(first.certPem));

      // Renewal, written in place like a simple deploy script: certificate first, then key.
      const second = await issue();
      const beforeRenewal = events.length;
      await writeFile(certFile, second.certPem);
      await writeFile(keyFile, second.keyPem);
      await waitFor(
        events,
        listeners,
        beforeRenewal,
        (e) => e.type === 'reloaded' && e.fingerprint256 === fingerprint(second.certPem),
      );
      expect((await handshake(port, { ca: dev.caCertPem })).fingerprint256).toBe(fingerprint(second.certPem));

      // A key that does not match: the old context stays, the failure is reported.
      const beforeBadKey = events.length;
      await writeFile(keyFile, first.keyPem);
      const failed = await waitFor(events, listeners, beforeBadKey, (e) => e.type === 'reload_failed');
      expect(failed.type === 'reload_failed' && failed.message).toMatch(/does not match/);
      expect(JSON.stringify(failed)).not.toContain('PRIVATE KEY');
      expect((await handshake(port, { ca: dev.caCertPem })).fingerprint256).toBe(fingerprint(second.certPem));
    } finally {
      await close(server);
    }
  });

  it('reloads on SIGHUP when asked, without watching', async () => {
    const certFile = join(dir, 'hup.crt');
    const keyFile = join(dir, 'hup.key');
    const first = await issue();
    await writeFile(certFile, first.certPem);
    await writeFile(keyFile, first.keyPem, { mode: 0o600 });
    const reloaded: TlsReloadEvent[] = [];
    let notify = () => {};
    const server = createHttpsServer((_req, res) => res.end('ok'), {
      certFile,
      keyFile,
      watch: false,
      reloadSignal: 'SIGHUP',
      onReload: (event) => {
        reloaded.push(event);
        notify();
      },
    });
    const port = await listen(server);
    try {
      const second = await issue();
      await writeFile(certFile, second.certPem);
      await writeFile(keyFile, second.keyPem);
      const done = new Promise<void>((resolve) => {
        notify = resolve;
      });
      // A real signal to this test process (vitest forks); a worker thread cannot receive one.
      if (isMainThread) process.kill(process.pid, 'SIGHUP');
      else process.emit('SIGHUP', 'SIGHUP');
      await done;
      expect(reloaded[0]?.type).toBe('reloaded');
      const served = await handshake(port, { ca: dev.caCertPem });
      expect(served.fingerprint256).toBe(new X509Certificate(second.certPem).fingerprint256);
    } finally {
      await close(server);
    }
    expect(process.listenerCount('SIGHUP')).toBe(0);
  });
});

describe('the development CA is name-constrained', () => {
  async function serve(pair: { certPem: string; keyPem: string }) {
    const certFile = join(dir, `nc-${Math.random().toString(36).slice(2)}.crt`);
    const keyFile = `${certFile}.key`;
    await writeFile(certFile, pair.certPem);
    await writeFile(keyFile, pair.keyPem, { mode: 0o600 });
    const server = createHttpsServer((_req, res) => res.end('ok'), { certFile, keyFile, watch: false });
    return { server, port: await listen(server) };
  }

  it('cannot vouch for a public web site even with its own key', async () => {
    const caKeyPem = await readFile(join(dir, 'data', 'dev-ca.key'), 'utf8');
    const ca = { certPem: dev.caCertPem, keyPem: caKeyPem };
    const forged = await issueCertificate(ca, {
      usage: 'server',
      hosts: ['www.google.com', '8.8.8.8'],
      days: 1,
    });
    const { server, port } = await serve(forged);
    try {
      await expect(handshake(port, { ca: dev.caCertPem, servername: 'www.google.com' })).rejects.toThrow(
        /permitted subtree violation/,
      );
    } finally {
      await close(server);
    }
    const local = await issueCertificate(ca, {
      usage: 'server',
      hosts: ['notes.localhost', '192.168.1.20'],
      days: 1,
    });
    const ok = await serve(local);
    try {
      await handshake(ok.port, { ca: dev.caCertPem, servername: 'notes.localhost' });
    } finally {
      await close(ok.server);
    }
  });

  it('creates a new CA that permits a non-local host when one is asked for', async () => {
    const fresh = join(dir, 'custom-host');
    const first = await ensureDevCertificates(fresh);
    const custom = await ensureDevCertificates(fresh, { hosts: ['dev.example.com', '127.0.0.1'] });
    expect(custom.caCertPem).not.toBe(first.caCertPem);
    const { server, port } = await serve(custom);
    try {
      await handshake(port, { ca: custom.caCertPem, servername: 'dev.example.com' });
    } finally {
      await close(server);
    }
    const back = await ensureDevCertificates(fresh);
    expect(back.caCertPem).toBe(custom.caCertPem);
  });
});
