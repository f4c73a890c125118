import { describe, expect, it } from 'vitest';
import { createGuard } from './guard.js';
import { refuseUnknownOptions } from './options-check.js';

const jwks = { keys: [] };
const tokens = { issuers: [{ issuer: 'https://idp.example', audience: 'https://api.example', jwks }] };

describe('unknown option keys are refused at start-up', () => {
  it('createGuard({ events }) — a typo for onEvent — throws, naming the fix', () => {
    const build = () => createGuard({ tokens, events: () => {} } as never);
    expect(build).toThrow(/createGuard: unknown option "events" \(did you mean "onEvent"\?\)/);
    expect(build).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('in tokens and in each trusted issuer too', () => {
    expect(() => createGuard({ tokens: { ...tokens, clockTolerance: 5 } as never })).toThrow(
      /tokens: unknown option "clockTolerance" \(did you mean "clockToleranceSeconds"\?\)/,
    );
    expect(() =>
      createGuard({ tokens: { issuers: [{ ...tokens.issuers[0]!, audiences: ['x'] }] } as never }),
    ).toThrow(/tokens.issuers\[0\]: unknown option "audiences" \(did you mean "audience"\?\)/);
  });

  it('accepts every documented option', () => {
    expect(() =>
      createGuard({
        tokens: { ...tokens, isRevoked: () => false, cache: false },
        optional: true,
        realm: 'api',
        onEvent: () => {},
        maxCredentialLength: 4096,
        tls: false,
      }),
    ).not.toThrow();
    expect(() => refuseUnknownOptions({ zzz: 1 }, ['onEvent'], 'x')).toThrow(/unknown option "zzz"\. Known/);
  });
});
