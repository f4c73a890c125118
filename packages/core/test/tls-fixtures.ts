/**
 * Shared fixtures of the TLS tests: a real token issuer key (static JWKS), real HTTP and HTTPS
 * servers that hand each request to a guard the way an adapter does, and a small HTTP client.
 */
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import type { Guard } from '../src/guard.js';
import { type NodeConnectionInfoOptions, nodeConnectionInfo } from '../src/node/index.js';
import { type AuthRequest, headersFromRaw } from '../src/request.js';
import type { ScopeRequirement } from '../src/scope/evaluate.js';

export const ISSUER = 'https://issuer.restguard.test';
export const AUDIENCE = 'https://notes.restguard.test';

/** An ES256 issuer key: its public JWK Set and a minting function for RFC 9068 access tokens. */
export async function createIssuerKey(): Promise<{
  jwks: { keys: JWK[] };
  mint: (claims?: JWTPayload) => Promise<string>;
}> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const mint = (claims: JWTPayload = {}) =>
    new SignJWT({ scope: 'read write', client_id: 'demo-machine', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('alice')
      .setIssuedAt()
      .setJti(crypto.randomUUID())
      .setExpirationTime('5m')
      .sign(privateKey);
  return { jwks: { keys: [jwk] }, mint };
}

/** The request handler an adapter would be: AuthRequest in, the guard's decision written out. */
export function guardHandler(
  guard: Guard,
  requirement: ScopeRequirement = ['read'],
  connection: NodeConnectionInfoOptions = {},
) {
  return (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    const request: AuthRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: headersFromRaw(req.rawHeaders),
      ...nodeConnectionInfo(req.socket, connection),
    };
    guard.decide(request, requirement).then(
      (decision) => {
        if (!decision.allow) {
          res.writeHead(decision.answer.status, decision.answer.headers);
          res.end(decision.answer.body);
          return;
        }
        res.writeHead(200, { ...decision.headers, 'content-type': 'application/json' });
        res.end(JSON.stringify({ subject: decision.principal?.subject ?? null }));
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  };
}

/** A plain-HTTP listener on loopback. */
export async function listenHttp(
  handler: ReturnType<typeof guardHandler>,
  host = '127.0.0.1',
): Promise<Server> {
  const server = createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return server;
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** One answer, fully read. */
export interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** Sends one request (no connection reuse) and reads the whole answer. */
export function send(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    ca?: string;
    cert?: string;
    key?: string;
  } = {},
): Promise<Reply> {
  const target = new URL(url);
  const make = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(
      target,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: false,
        ...(options.ca ? { ca: options.ca } : {}),
        ...(options.cert ? { cert: options.cert, key: options.key } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
