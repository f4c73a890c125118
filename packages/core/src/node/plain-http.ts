/**
 * The optional plain-HTTP listener (`HTTP_PORT`): it only applies the TLS policy. Every request is
 * answered by the guard's policy: a credential is refused with 403 `https_required` (and reported as
 * `credential_exposed`), a GET/HEAD is redirected (308) to the public origin, anything else gets 403.
 * No route of the application is served over plain HTTP, guarded or not. A request that a trusted
 * proxy declares HTTPS (`Forwarded` / `X-Forwarded-Proto`) is the proxy's TLS traffic and goes to
 * the application.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { type HttpAnswer, problemAnswer } from '../errors.js';
import type { Guard } from '../guard.js';
import { headersFromRaw } from '../request.js';
import { createTlsPolicy } from '../tls/index.js';
import { nodeConnectionInfo } from './connection.js';

function write(res: ServerResponse, answer: HttpAnswer): void {
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}

/**
 * A request listener for a plain-HTTP server that only applies the guard's TLS policy. Pass the
 * application as `app` to serve requests a trusted proxy declares HTTPS; without it they get 421. With `tls: false` in the guard's options there is no policy, and everything goes to `app`.
 * @example
 * import { createServer } from 'node:http';
 * const guard = createGuard({ tokens, tls: { publicOrigin: 'https://localhost:8443' } });
 * createServer(plainHttpListener(guard)).listen(8080, '127.0.0.1'); // 308 to https://localhost:8443/…
 */
export function plainHttpListener(guard: Guard, app?: RequestListener): RequestListener {
  const tls = guard.options.tls;
  const policy = tls === false ? undefined : createTlsPolicy(tls ?? {});
  return (req: IncomingMessage, res: ServerResponse) => {
    const request = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: headersFromRaw(req.rawHeaders),
      ...nodeConnectionInfo(req.socket),
    };
    if (!policy || policy.secure(request)) {
      // RFC 9110 §15.5.20: this listener cannot produce a response for an HTTPS request.
      if (app) app(req, res);
      else write(res, problemAnswer(421, 'Misdirected Request'));
      return;
    }
    // The guard refuses (and reports) a credential, else answers with the policy's redirect or 403.
    guard.decide(request).then(
      (decision) => write(res, decision.allow ? policy.insecureAnswer(request) : decision.answer),
      () => write(res, guard.challenge(undefined)),
    );
  };
}
