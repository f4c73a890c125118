import { describe, expect, it } from 'vitest';
import { isRestguardError } from '../errors.js';
import { createSessionManager, type SessionOptions } from './index.js';

const base: SessionOptions = {
  issuer: 'https://idp.example',
  clientId: 'web',
  clientSecret: 'secret',
  baseUrl: 'https://app.example',
  secrets: ['s'.repeat(32)],
};

function configError(options: Partial<SessionOptions>): string | undefined {
  try {
    createSessionManager({ ...base, ...options } as SessionOptions);
    return undefined;
  } catch (err) {
    return isRestguardError(err) && err.code === 'ERR_CONFIG_INVALID' ? err.message : 'other error';
  }
}

describe('session options', () => {
  it('accepts a complete configuration', () => {
    expect(configError({})).toBeUndefined();
  });

  it.each<[string, Partial<SessionOptions>]>([
    ['a short secret', { secrets: ['short'] }],
    ['no secret', { secrets: [] }],
    ['an http issuer without allowInsecureRequests', { issuer: 'http://idp.example' }],
    ['an http baseUrl', { baseUrl: 'http://app.example' }],
    ['a baseUrl with a path', { baseUrl: 'https://app.example/app' }],
    ['a cookie without the __Host- prefix', { cookieName: 'session' }],
    ['authorizationParams overriding state', { authorizationParams: { state: 'x' } }],
    [
      'a secret-based method without a secret',
      { clientSecret: undefined, clientAuthMethod: 'client_secret_basic' },
    ],
    ['a relative path', { paths: { login: 'login' } }],
    ['a negative timeout', { idleTimeoutSeconds: -1 }],
  ])('refuses %s at start-up', (_, options) => {
    expect(configError(options)).toMatch(/^sessions: /);
  });

  it('allows an http issuer only with the explicit test option', () => {
    expect(configError({ issuer: 'http://127.0.0.1:4000', allowInsecureRequests: true })).toBeUndefined();
  });
});
