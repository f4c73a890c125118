import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import type { AuthRequest } from '../request.js';
import { type ConnectionInfoReader, nodeAuthRequest } from './adapter-request.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** Sends one request to a real Node server and returns what nodeAuthRequest made of it. */
async function translate(reader?: ConnectionInfoReader): Promise<{ request: AuthRequest; body: string }> {
  let seen: ((value: { request: AuthRequest; body: string }) => void) | undefined;
  const translated = new Promise<{ request: AuthRequest; body: string }>((resolve) => {
    seen = resolve;
  });
  const server = createServer(async (req, res) => {
    const request = nodeAuthRequest(req, '/mounted/notes?x=1', reader);
    seen?.({ request, body: (await request.body?.()) ?? '' });
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  close = () => new Promise((resolve) => server.close(() => resolve()));
  const { port } = server.address() as AddressInfo;
  const client = httpRequest({
    port,
    host: '127.0.0.1',
    method: 'POST',
    path: '/notes?x=1',
    headers: { Authorization: ['Bearer a', 'Bearer b'], 'Content-Length': '8' },
  });
  client.end('a=1&b=é');
  const [response] = await once(client, 'response');
  response.resume();
  await once(response, 'end');
  return translated;
}

it('translates a real Node request: method, given url, every raw header, socket facts, body', async () => {
  const { request, body } = await translate();
  expect(request).toMatchObject({ method: 'POST', url: '/mounted/notes?x=1', tls: false });
  expect(request.remoteAddress).toMatch(/127\.0\.0\.1$/);
  expect(request.clientCertificate).toBeUndefined();
  expect(request.headers('authorization')).toEqual(['Bearer a', 'Bearer b']);
  expect(body).toBe('a=1&b=é');
});

it('reads the connection facts through the reader it is given', async () => {
  const certificate = new Uint8Array([1, 2, 3]);
  const { request } = await translate((socket) => ({
    tls: true,
    remoteAddress: `reader saw ${socket.remotePort !== undefined}`,
    clientCertificate: certificate,
  }));
  expect(request).toMatchObject({
    tls: true,
    remoteAddress: 'reader saw true',
    clientCertificate: certificate,
  });
});
