import { describe, expect, it } from 'vitest';
import { tokenScopes } from './state.js';

const jwt = (claims: Record<string, unknown>) =>
  `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

describe('tokenScopes', () => {
  it('takes the JWT access token’s own scope or scp (what a bearer request would carry)', () => {
    expect(tokenScopes(jwt({ scope: 'read  write' }), 'openid read write admin', ['openid'])).toEqual([
      'read',
      'write',
    ]);
    expect(tokenScopes(jwt({ scp: ['read'] }), undefined, ['openid'])).toEqual(['read']);
  });

  it('falls back to the token response’s scope for opaque tokens, then to what was requested', () => {
    expect(tokenScopes('opaque-token', 'read', ['openid', 'read', 'write'])).toEqual(['read']);
    expect(tokenScopes('opaque-token', undefined, ['openid', 'read'])).toEqual(['openid', 'read']);
    expect(tokenScopes(jwt({ sub: 'x' }), 'read', ['openid'])).toEqual(['read']);
  });
});
