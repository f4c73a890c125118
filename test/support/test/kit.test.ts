/**
 * `createTestKit` of @restguard/testing, against the real guard: it lives here because
 * @restguard/testing cannot depend on core (core's tests depend on it).
 */
import * as core from '@restguard/core';
import { createTestKit } from '@restguard/testing';
import { describe, expect, it } from 'vitest';

const request = (headers: Record<string, string>): core.AuthRequest => ({
  method: 'GET',
  url: '/api/notes',
  tls: true,
  headers: (name) => (headers[name] === undefined ? [] : [headers[name]!]),
});

describe.each([
  ['plain HTTP', false],
  ['HTTPS', true],
])('createTestKit over %s', (_name, https) => {
  it('hands createGuard an issuer whose token passes and a store whose keys pass with their permissions', async () => {
    const kit = await createTestKit(core, {
      https,
      scope: 'read write',
      apiKeys: { reader: ['read'], writer: ['read', 'write'] },
    });
    const guard = core.createGuard({ ...kit.guardOptions, tls: false });
    try {
      expect(Object.keys(kit.apiKeys)).toEqual(['reader', 'writer']);
      const byToken = await guard.decide(request({ authorization: `Bearer ${kit.token}` }), ['write']);
      expect(byToken.allow && byToken.principal?.subject).toBe('alice');
      const reader = request({ 'x-api-key': kit.apiKeys.reader! });
      expect((await guard.decide(reader, ['read'])).allow).toBe(true);
      const refused = await guard.decide(reader, ['write']);
      expect(refused.allow || refused.answer.status).toBe(403);
      expect((await guard.decide(request({ 'x-api-key': kit.apiKeys.writer! }), ['write'])).allow).toBe(true);
      const forged = await guard.decide(
        request({ authorization: `Bearer ${await kit.issuer.bad.wrongKey()}` }),
      );
      expect(forged.allow || forged.answer.status).toBe(401);
    } finally {
      await guard.close();
      await kit.close();
    }
  });
});
