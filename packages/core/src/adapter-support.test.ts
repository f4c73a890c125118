import { describe, expect, it } from 'vitest';
import { errorAnswer, isGuard, readBodyText, resolveGuard, statusProblem } from './adapter-support.js';
import { ConfigInvalidError, TokenExpiredError, toChallenge, UnavailableError } from './errors.js';
import type { Guard } from './guard.js';
import { createRouteRegistry } from './openapi/registry.js';
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
