/**
 * The app of the browser-SSO suites: core's guard with sessions, served over HTTPS on loopback, next
 * to a real dev issuer (oidc-provider) whose web client points back at it (redirect, post-logout and
 * back-channel logout URIs). Its clock can be moved forward so access tokens expire without waiting.
 */

import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createGuard, type Guard, type HttpAnswer, headersFromRaw, principalToJSON } from '@restguard/core';
import { DEV_WEB_CLIENT, type DevIssuer, startDevIssuer } from '@restguard/dev-issuer';
import { createCaFetch, generateTestTls } from '@restguard/testing';
import { tempDir } from './processes.js';

export interface SessionApp {
  baseUrl: string;
  issuer: DevIssuer;
  caPem: string;
  /** Milliseconds added to the app's clock. */
  clock: { offset: number };
  close(): Promise<void>;
}

const HOME = `<!doctype html><title>notes</title><p>home</p>
<form method="post" action="/auth/logout"><button id="logout" type="submit">Sign out</button></form>`;

function send(res: ServerResponse, answer: HttpAnswer): void {
  res.writeHead(answer.status, answer.headers).end(answer.body);
}

/** Starts the app and its dev issuer. */
export async function startSessionApp(): Promise<SessionApp> {
  const tls = await generateTestTls();
  const clock = { offset: 0 };
  let guard: Guard | undefined;
  const app: Server = createServer({ cert: tls.certPem, key: tls.keyPem }, async (req, res) => {
    const request = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: headersFromRaw(req.rawHeaders),
      tls: true,
      body: async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks).toString('utf8');
      },
    };
    if (!guard) return send(res, { status: 503, headers: {}, body: '' });
    const route = await guard.handleAuthRoute(request);
    if (route) return send(res, route);
    const path = request.url.split('?')[0];
    if (path === '/') return send(res, { status: 200, headers: { 'content-type': 'text/html' }, body: HOME });
    const need = path === '/api/notes' ? (request.method === 'GET' ? ['read'] : ['write']) : [];
    const decision = await guard.decide(request, need);
    if (!decision.allow) return send(res, decision.answer);
    const headers = { 'content-type': 'application/json', ...decision.headers };
    const principal = decision.principal!;
    if (path === '/api/me')
      return send(res, { status: 200, headers, body: JSON.stringify(principalToJSON(principal)) });
    if (path === '/api/notes' && request.method === 'POST')
      return send(res, { status: 201, headers, body: '{"id":"1"}' });
    return send(res, { status: 200, headers, body: '[]' });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const baseUrl = `https://127.0.0.1:${(app.address() as AddressInfo).port}`;
  const issuer = await startDevIssuer({
    port: 0,
    tls: { cert: tls.certPem, key: tls.keyPem, ca: tls.caPem },
    dataDir: tempDir('session-issuer'),
    log: false,
    webClient: {
      redirectUris: [`${baseUrl}/auth/callback`],
      postLogoutRedirectUris: [`${baseUrl}/`],
      backchannelLogoutUri: `${baseUrl}/auth/backchannel-logout`,
    },
  });
  guard = createGuard({
    tls: { publicOrigin: baseUrl },
    sessions: {
      issuer: issuer.issuer,
      clientId: DEV_WEB_CLIENT.clientId,
      clientSecret: DEV_WEB_CLIENT.clientSecret,
      baseUrl,
      secrets: ['e2e-session-secret-e2e-session-secret'],
      scopes: ['read', 'write'],
      resource: issuer.audience,
      fetch: createCaFetch(tls.caPem),
      clock: () => Date.now() + clock.offset,
    },
  });
  return {
    baseUrl,
    issuer,
    caPem: tls.caPem,
    clock,
    async close() {
      await guard?.close();
      await issuer.close();
      app.closeAllConnections();
      await new Promise<void>((resolve) => app.close(() => resolve()));
    },
  };
}
