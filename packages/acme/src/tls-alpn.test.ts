import { X509Certificate } from 'node:crypto';
import { createServer as createNetServer } from 'node:net';
import { connect, createServer } from 'node:tls';
import { createDevCa, issueCertificate } from '@restguard/core/node';
import { describe, expect, it } from 'vitest';
import { readClientHelloAlpn } from './client-hello.js';
import { ACME_TLS_ALPN, attachTlsAlpnResponder } from './tls-alpn.js';

/** The first bytes a Node TLS client sends (its ClientHello), captured on a plain TCP server. */
async function clientHello(alpn?: string[]): Promise<Buffer> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const first = new Promise<Buffer>((resolve) => server.once('connection', (s) => s.once('data', resolve)));
  const client = connect({
    host: '127.0.0.1',
    port,
    servername: 'a.example.com',
    ...(alpn ? { ALPNProtocols: alpn } : {}),
  });
  client.on('error', () => undefined);
  const bytes = await first;
  client.destroy();
  server.close();
  return bytes;
}

describe('readClientHelloAlpn', () => {
  it('reads the offered protocols, and none when the client offers none', async () => {
    expect(readClientHelloAlpn(await clientHello(['h2', 'http/1.1']))).toEqual({
      state: 'done',
      protocols: ['h2', 'http/1.1'],
    });
    expect(readClientHelloAlpn(await clientHello())).toEqual({ state: 'done', protocols: [] });
  });
  it('asks for more bytes on a partial record and refuses what is not TLS', async () => {
    const hello = await clientHello([ACME_TLS_ALPN]);
    expect(readClientHelloAlpn(hello.subarray(0, 20))).toEqual({ state: 'incomplete' });
    expect(readClientHelloAlpn(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual({ state: 'not-tls' });
  });
});

describe('attachTlsAlpnResponder', () => {
  it('presents the challenge certificate to acme-tls/1 only, the server’s own to everyone else', async () => {
    const ca = await createDevCa({ commonName: 'test', days: 1 });
    const own = await issueCertificate(ca, { usage: 'server', hosts: ['a.example.com'], days: 1 });
    const challenge = await issueCertificate(ca, { usage: 'server', hosts: ['a.example.com'], days: 1 });
    const server = createServer({ cert: own.certPem, key: own.keyPem, ALPNProtocols: ['http/1.1'] }, (s) =>
      s.end('app'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const responder = attachTlsAlpnResponder(server);
    const handshake = (alpn: string[]) =>
      new Promise<{ fingerprint: string; protocol: string | false | null }>((resolve, reject) => {
        const socket = connect(
          {
            host: '127.0.0.1',
            port,
            servername: 'a.example.com',
            ALPNProtocols: alpn,
            rejectUnauthorized: false,
          },
          () => {
            resolve({
              fingerprint: socket.getPeerCertificate().fingerprint256,
              protocol: socket.alpnProtocol,
            });
            socket.destroy();
          },
        );
        socket.on('error', reject);
      });
    const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
    try {
      responder.set('a.example.com', challenge.certPem, challenge.keyPem);
      expect(await handshake([ACME_TLS_ALPN])).toEqual({
        fingerprint: fingerprint(challenge.certPem),
        protocol: ACME_TLS_ALPN,
      });
      expect(await handshake(['http/1.1'])).toEqual({
        fingerprint: fingerprint(own.certPem),
        protocol: 'http/1.1',
      });
      responder.delete('a.example.com');
      expect((await handshake([ACME_TLS_ALPN, 'http/1.1'])).fingerprint).toBe(fingerprint(own.certPem));
    } finally {
      responder.detach();
      server.close();
    }
  });
});
