import { describe, expect, it } from 'vitest';
import {
  ApiKeyInvalidError,
  bearerChallenge,
  ConfigInvalidError,
  CredentialsMissingError,
  HttpsRequiredError,
  isRestguardError,
  RequestInvalidError,
  ScopeInsufficientError,
  TokenExpiredError,
  TokenInvalidError,
  toChallenge,
  UnavailableError,
} from './errors.js';

describe('toChallenge', () => {
  it('answers a missing credential with a bare Bearer challenge and no error code', () => {
    const answer = toChallenge(new CredentialsMissingError(), { realm: 'notes' });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe('Bearer realm="notes"');
    expect(answer.headers['content-type']).toBe('application/problem+json');
    const body = JSON.parse(answer.body);
    expect(body).toMatchObject({ status: 401, title: 'Authentication required' });
    expect(body.error).toBeUndefined();
  });

  it.each([
    [new RequestInvalidError('The request carries more than one credential.'), 400, 'invalid_request'],
    [new TokenInvalidError(), 401, 'invalid_token'],
    [new TokenExpiredError(), 401, 'invalid_token'],
    [new ApiKeyInvalidError(), 401, 'invalid_token'],
    [new ScopeInsufficientError(['write']), 403, 'insufficient_scope'],
  ])('maps %s to its status and RFC 6750 error', (err, status, code) => {
    const answer = toChallenge(err);
    expect(answer.status).toBe(status);
    expect(answer.headers['www-authenticate']).toContain(`error="${code}"`);
    expect(JSON.parse(answer.body)).toMatchObject({
      status,
      error: code,
      type: `urn:restguard:problem:${code}`,
    });
  });

  it('names the required scopes in the challenge and the body', () => {
    const answer = toChallenge(new ScopeInsufficientError(['read', 'write']), { realm: 'api' });
    expect(answer.headers['www-authenticate']).toMatch(/, scope="read write"$/);
    expect(JSON.parse(answer.body).scope).toBe('read write');
  });

  it('sends 503 with Retry-After and no challenge when verification is unavailable', () => {
    const answer = toChallenge(new UnavailableError(undefined, { retryAfterSeconds: 7 }));
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('7');
    expect(answer.headers['www-authenticate']).toBeUndefined();
  });

  it('refuses plain HTTP with 403 https_required, without a challenge', () => {
    const answer = toChallenge(new HttpsRequiredError());
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).error).toBe('https_required');
  });

  it('never leaks a foreign error or a configuration error to the client', () => {
    for (const err of [
      new Error('jose: secret key material at line 3'),
      new ConfigInvalidError('pepper=hunter2'),
    ]) {
      const answer = toChallenge(err);
      expect(answer.status).toBe(500);
      expect(answer.body).not.toMatch(/jose|hunter2|at line/);
      expect(JSON.parse(answer.body)).toEqual({
        type: 'about:blank',
        title: 'Internal server error',
        status: 500,
      });
    }
  });

  it('adds resource_metadata (RFC 9728 §5.1) when configured', () => {
    const answer = toChallenge(new CredentialsMissingError(), {
      resourceMetadataUrl: 'https://api.example/.well-known/oauth-protected-resource',
    });
    expect(answer.headers['www-authenticate']).toBe(
      'Bearer realm="restguard", resource_metadata="https://api.example/.well-known/oauth-protected-resource"',
    );
  });
});

describe('bearerChallenge', () => {
  it('escapes quotes and backslashes and drops control characters in quoted strings', () => {
    const value = bearerChallenge({ realm: 'a"b\\c\r\nd' }, 'invalid_token', 'say "hi"');
    expect(value).toBe('Bearer realm="a\\"b\\\\cd", error="invalid_token", error_description="say \\"hi\\""');
  });
});

describe('isRestguardError', () => {
  it('recognises restguard errors by their marker, and nothing else', () => {
    const err = new TokenInvalidError();
    expect(isRestguardError(err)).toBe(true);
    expect(err.name).toBe('TokenInvalidError');
    expect(isRestguardError(new Error('x'))).toBe(false);
    expect(isRestguardError({ code: 'ERR_TOKEN_INVALID' })).toBe(false);
    expect(isRestguardError(null)).toBe(false);
  });
});
