/**
 * Serves one app the way the demo contract does: an HTTPS listener through core's
 * `createHttpsServer` (TLS 1.2+, a development certificate from `ensureDevCertificates`, client
 * certificates asked for) and a
 * plain-HTTP listener on the same app, both on loopback.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpsServer, type DevCertificates } from '@restguard/core/node';

export interface Served {
  /** `https://127.0.0.1:PORT` */
  readonly https: string;
  /** `http://127.0.0.1:PORT` */
  readonly http: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export async function serve(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  certificates: DevCertificates,
  clientCaFile: string,
): Promise<Served> {
  const { certFile, keyFile } = certificates;
  // Client certificates are asked for, never required (RFC 8705 scenarios); only those chaining to
  // the client CA count as verified (`socket.authorized`).
  const secure = await createHttpsServer(listener, {
    certFile,
    keyFile,
    caFile: clientCaFile,
    requestCert: true,
    rejectUnauthorized: false,
    watch: false,
  });
  const plain = createServer(listener);
  const [securePort, plainPort] = await Promise.all([listen(secure), listen(plain)]);
  return {
    https: `https://127.0.0.1:${securePort}`,
    http: `http://127.0.0.1:${plainPort}`,
    close: async () => {
      await Promise.all([stop(secure), stop(plain)]);
    },
  };
}
