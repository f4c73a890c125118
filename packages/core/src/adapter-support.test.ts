import { describe, expect, it } from 'vitest';
import {
  adapterGuard,
  answerResponse,
  authenticate,
  DEFAULT_MAX_BODY_BYTES,
  errorAnswer,
  incomingAuthRequest,
  isGuard,
  markRequirement,
  readBodyText,
  resolveGuard,
  routesOpenApiDocument,
  serverErrorAnswerer,
  statusProblem,
  webAuthRequest,
} from './adapter-support.js';
import { ConfigInvalidError, TokenExpiredError, toChallenge, UnavailableError } from './errors.js';
import type { Decision, Guard } from './guard.js';
import { createRouteRegistry } from './openapi/registry.js';
import type { AuthRequest } from './request.js';
import { checkScopeRequirement } from './scope/evaluate.js';

const fakeGuard = {
  options: {},
  decide: async () => ({ allow: true, principal: null, headers: {} }),
  authenticate: async () => null,
  enforce: () => null,
  challenge: () => ({ status: 418, headers: {}, body: 'from the guard' }),
  handleAuthRoute: async () => null,
  handlesAuthRoutes: false,
  ready: async () => {},
  routes: createRouteRegistry(),
  close: async () => {},
} satisfies Guard;

describe('resolveGuard / isGuard', () => {
  it('passes a guard through and refuses what is neither a guard nor options', () => {
    expect(isGuard(fakeGuard)).toBe(true);
    expect(resolveGuard(fakeGuard)).toBe(fakeGuard);
    expect(isGuard({ tokens: {} })).toBe(false);
    expect(() => resolveGuard(undefined as never)).toThrow(ConfigInvalidError);
  });

  it('builds a guard from options, checking them at start-up', () => {
    expect(() => resolveGuard({})).toThrow(ConfigInvalidError);
  });
});

describe('checkScopeRequirement', () => {
  it('accepts arrays and { all, any }', () => {
    expect(checkScopeRequirement(['read'])).toEqual(['read']);
    expect(checkScopeRequirement([])).toEqual([]);
    expect(checkScopeRequirement({ all: ['read'], any: ['write', 'admin'] })).toEqual({
      all: ['read'],
      any: ['write', 'admin'],
    });
  });

  it.each([
    ['a bare string', 'write'],
    ['a space-joined list', ['read write']],
    ['an empty scope', ['']],
    ['a non-string scope', [1]],
    ['an unknown key', { one: ['read'] }],
    ['a string under all', { all: 'read' }],
    ['null', null],
  ])('refuses %s', (_name, value) => {
    expect(() => checkScopeRequirement(value)).toThrow(ConfigInvalidError);
  });
});

describe('statusProblem', () => {
  it('answers a framework status as problem+json with the reason phrase and no detail', () => {
    const answer = statusProblem(405);
    expect(answer.status).toBe(405);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toBe('{"type":"about:blank","title":"Method Not Allowed","status":405}');
    expect(JSON.parse(statusProblem(499).body).title).toBe('Client Error');
  });

  it('never answers anything but a 4xx: other statuses become a bare 500', () => {
    expect(statusProblem(200).status).toBe(500);
    expect(statusProblem(502).status).toBe(500);
  });
});

describe('errorAnswer', () => {
  it("uses the guard's challenge for restguard errors", () => {
    expect(errorAnswer(new TokenExpiredError(), fakeGuard).body).toBe('from the guard');
    const answer = errorAnswer(new UnavailableError());
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
  });

  it("keeps a framework error's 4xx status but never its message", () => {
    const parse = Object.assign(new SyntaxError('Unexpected token s in JSON: "secret"'), { status: 400 });
    expect(errorAnswer(parse).body).toBe('{"type":"about:blank","title":"Bad Request","status":400}');
    const media = Object.assign(new Error('Unsupported Media Type: text/xml'), { statusCode: 415 });
    expect(errorAnswer(media).status).toBe(415);
  });

  it('turns anything else into a 500 without detail', () => {
    for (const err of [
      new Error('db password is hunter2'),
      Object.assign(new Error('x'), { status: 502 }),
      'text',
      null,
    ]) {
      const answer = errorAnswer(err);
      expect(answer.status).toBe(500);
      expect(answer.body).not.toMatch(/hunter2|stack|detail/);
    }
  });
});

describe('readBodyText', () => {
  async function* chunks(...parts: Array<Uint8Array | string>) {
    yield* parts;
  }

  it('decodes UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('logout_token=é€');
    expect(await readBodyText(chunks(bytes.slice(0, 14), bytes.slice(14), '&x=1'))).toBe(
      'logout_token=é€&x=1',
    );
  });

  it('refuses a body over the cap with 413, and stops pulling at the cap', async () => {
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled++;
        yield 'a'.repeat(4);
      }
    }
    const err = await readBodyText(endless(), 10).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
    expect(pulled).toBe(3);
    expect(toChallenge(err)).toMatchObject({ status: 413 });
    expect(toChallenge(err).headers['www-authenticate']).toBeUndefined();
  });

  it('refuses a Content-Length over the cap before reading a byte', async () => {
    let pulled = 0;
    async function* body() {
      pulled++;
      yield 'a';
    }
    await expect(readBodyText(body(), 10, '11')).rejects.toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
    expect(pulled).toBe(0);
    expect(await readBodyText(body(), 10, '1')).toBe('a');
  });

  it('reads a Web ReadableStream through the same cap, cancelling it on overflow', async () => {
    let cancelled = false;
    let pulled = 0;
    const stream = () =>
      new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled++;
          controller.enqueue(new TextEncoder().encode('abcd'));
          if (pulled === 2 && !cancelled) controller.close();
        },
        cancel() {
          cancelled = true;
        },
      });
    expect(await readBodyText(stream(), 10)).toBe('abcdabcd');
    pulled = 2;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('abcd'));
      },
      cancel() {
        cancelled = true;
      },
    });
    await expect(readBodyText(endless, 10)).rejects.toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
    expect(cancelled).toBe(true);
    expect(await readBodyText(null, 10)).toBe('');
  });
});

describe('authenticate', () => {
  const request: AuthRequest = { method: 'GET', url: '/api/notes', headers: () => [], tls: true };
  const allowed: Decision = { allow: true, principal: null, headers: { 'x-seen': 'yes' } };

  it("hands back the guard's own decision when the guard serves no login routes", async () => {
    const pending = Promise.resolve(allowed);
    const guard = {
      ...fakeGuard,
      decide: () => pending,
      handleAuthRoute: () => Promise.reject(new Error('called')),
    };
    expect(authenticate(guard, request)).toBe(pending);
    expect(await authenticate(guard, request)).toBe(allowed);
  });

  it('answers a login route itself, marked as a route answer, without deciding', async () => {
    const route = { status: 302, headers: { location: '/' }, body: '' };
    let decided = 0;
    const guard = {
      ...fakeGuard,
      handlesAuthRoutes: true,
      handleAuthRoute: async () => route,
      decide: async () => {
        decided++;
        return allowed;
      },
    };
    expect(await authenticate(guard, request)).toEqual({ allow: false, answer: route, authRoute: true });
    expect(decided).toBe(0);
  });

  it('decides when the guard serves login routes but not this one', async () => {
    const refusal: Decision = { allow: false, answer: statusProblem(403) };
    const guard = { ...fakeGuard, handlesAuthRoutes: true, decide: async () => refusal };
    const result = await authenticate(guard, request);
    expect(result).toBe(refusal);
    expect('authRoute' in result).toBe(false);
  });
});

describe('incomingAuthRequest', () => {
  function incoming(parts: string[], socket: object, contentLength?: string) {
    return Object.assign(
      (async function* () {
        yield* parts;
      })(),
      {
        rawHeaders: ['Authorization', 'Bearer a', 'authorization', 'Bearer b', 'Host', 'api.example'],
        headers: { 'content-length': contentLength },
        socket,
      },
    );
  }

  it('keeps every raw header apart, reads TLS and peer from the socket, reads the body on demand', async () => {
    const request = incomingAuthRequest(
      incoming(['a=', '1'], { encrypted: true, remoteAddress: '10.0.0.1' }),
      'POST',
      '/auth/logout?x=1',
    );
    expect(request).toMatchObject({
      method: 'POST',
      url: '/auth/logout?x=1',
      tls: true,
      remoteAddress: '10.0.0.1',
    });
    expect(request.clientCertificate).toBeUndefined();
    expect(request.headers('authorization')).toEqual(['Bearer a', 'Bearer b']);
    expect(await request.body?.()).toBe('a=1');
  });

  it('takes the connection facts from a reader when given one', () => {
    const certificate = new Uint8Array([1, 2, 3]);
    const socket = { encrypted: false, remoteAddress: 'ignored' };
    const request = incomingAuthRequest(incoming([], socket), 'GET', '/', (seen) => {
      expect(seen).toBe(socket);
      return { tls: true, remoteAddress: '::1', clientCertificate: certificate };
    });
    expect(request).toMatchObject({ tls: true, remoteAddress: '::1', clientCertificate: certificate });
  });

  it('refuses a declared body over the cap with 413 before reading it', async () => {
    const request = incomingAuthRequest(incoming(['a'], {}, String(DEFAULT_MAX_BODY_BYTES + 1)), 'POST', '/');
    expect(request.tls).toBe(false);
    await expect(request.body?.()).rejects.toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
  });
});

describe('webAuthRequest / answerResponse', () => {
  it('translates a Web Request: path and query, TLS from the scheme, every header value, capped body', async () => {
    const headers = new Headers([
      ['authorization', 'Bearer a'],
      ['x-many', '1'],
      ['x-many', '2'],
    ]);
    const request = webAuthRequest(
      new Request('https://api.example/notes?x=1', { method: 'POST', headers, body: 'a=1' }),
    );
    expect(request).toMatchObject({ method: 'POST', url: '/notes?x=1', tls: true });
    expect(request.remoteAddress).toBeUndefined();
    expect(request.headers('authorization')).toEqual(['Bearer a']);
    expect(await request.body?.()).toBe('a=1');
    expect(webAuthRequest(new Request('http://api.example/')).tls).toBe(false);
  });

  it('writes an answer verbatim as a Web Response, repeated headers appended', async () => {
    const response = answerResponse({
      status: 401,
      headers: { 'www-authenticate': ['Bearer realm="a"', 'DPoP realm="a"'], 'content-type': 'text/plain' },
      body: 'no',
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="a", DPoP realm="a"');
    expect(await response.text()).toBe('no');
    expect((await answerResponse({ status: 204, headers: {}, body: '' })).body).toBeNull();
  });
});

describe('adapterGuard', () => {
  it("refuses an unknown key in the adapter's options, then resolves the guard", () => {
    expect(() =>
      adapterGuard(
        fakeGuard,
        { conectionInfo: 1 } as { connectionInfo?: unknown },
        { connectionInfo: true },
        'test',
      ),
    ).toThrow(/unknown option "conectionInfo"/);
    expect(adapterGuard(fakeGuard, { connectionInfo: undefined }, { connectionInfo: true }, 'test')).toBe(
      fakeGuard,
    );
  });
});

describe('serverErrorAnswerer', () => {
  it('refuses unknown options at start-up', () => {
    expect(() => serverErrorAnswerer({ onError: () => {} } as never, 'onError')).toThrow(ConfigInvalidError);
  });

  it('reports only what it answers as 500, never a client error or a 503', () => {
    const reported: unknown[] = [];
    const answerError = serverErrorAnswerer<string>(
      { onServerError: (err, context) => reported.push([err, context]) },
      'test',
    );
    const bug = new Error('bug');
    expect(answerError(bug, undefined, 'ctx').status).toBe(500);
    expect(answerError(Object.assign(new Error('x'), { status: 404 }), undefined, 'ctx').status).toBe(404);
    expect(answerError(new UnavailableError(), undefined, 'ctx').status).toBe(503);
    expect(answerError(new TokenExpiredError(), fakeGuard, 'ctx').body).toBe('from the guard');
    expect(reported).toEqual([[bug, 'ctx']]);
  });
});

describe('routesOpenApiDocument', () => {
  it('needs a guard', () => {
    expect(() => routesOpenApiDocument(undefined, [], {})).toThrow(ConfigInvalidError);
  });

  it('records covered routes with their requirement or any credential, uncovered ones with their own or none', () => {
    const guard = { ...fakeGuard, routes: createRouteRegistry() };
    const read = markRequirement(() => {}, ['read']);
    const write = markRequirement(() => {}, ['write']);
    routesOpenApiDocument(
      guard,
      [
        { method: 'GET', path: '/api/notes', handlers: [() => {}, read], covered: true },
        { method: 'GET', path: '/api/me', handlers: [() => {}], covered: true },
        { method: 'GET', path: '/health', handlers: [], covered: false },
        { method: 'POST', path: '/open', handlers: [write, read], covered: false },
      ],
      {},
    );
    expect(guard.routes.routes().map(({ method, path, requirement }) => [method, path, requirement])).toEqual(
      [
        ['GET', '/api/notes', ['read']],
        ['GET', '/api/me', []],
        ['GET', '/health', null],
        ['POST', '/open', ['write']],
      ],
    );
  });
});
