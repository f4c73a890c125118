/**
 * HTTP-01 (RFC 8555 §8.3): answers `GET /.well-known/acme-challenge/<token>` with the key
 * authorization, from this instance's pending challenges or, behind a load balancer, from the shared
 * storage; every other request goes to the next listener (restguard's plain-HTTP listener).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AcmeStorage } from './storage.js';

const CHALLENGE_PATH = '/.well-known/acme-challenge/';
/** RFC 8555 §8.3: the token is base64url. */
const TOKEN = /^[A-Za-z0-9_-]{1,200}$/;

function notFound(res: ServerResponse): void {
  res
    .writeHead(404, { 'content-type': 'application/problem+json' })
    .end('{"title":"Not Found","status":404}');
}

/**
 * A request listener answering HTTP-01 challenges.
 * @example
 * const tokens = new Map([['tok', 'tok.thumbprint']]);
 * http.createServer(httpChallengeListener(tokens, storage, plainHttpListener(guard))).listen(80);
 */
export function httpChallengeListener(
  tokens: ReadonlyMap<string, string>,
  storage: Pick<AcmeStorage, 'loadChallenge'>,
  next?: RequestListener,
): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (!url.startsWith(CHALLENGE_PATH) || (req.method !== 'GET' && req.method !== 'HEAD')) {
      if (next) return next(req, res);
      return notFound(res);
    }
    const token = url.slice(CHALLENGE_PATH.length);
    const answer = (keyAuthorization: string | undefined) => {
      if (keyAuthorization === undefined) return notFound(res);
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end(keyAuthorization);
    };
    const local = tokens.get(token);
    if (local !== undefined || !storage.loadChallenge || !TOKEN.test(token)) return answer(local);
    storage.loadChallenge(token).then(answer, () => answer(undefined));
  };
}
