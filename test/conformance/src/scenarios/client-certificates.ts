/**
 * Scenarios for client certificates as a credential of their own: a verified client certificate
 * (mTLS) that a stored rule allows is a principal with the rule's permissions; the same 401/403
 * answers and events as any credential.
 */
import { bearer, created, insufficient, invalidToken, json, notes, type Scenario } from './shape.js';

export const clientCertificateScenarios: readonly Scenario[] = [
  {
    name: 'a client certificate allowed by thumbprint with read reads notes',
    path: '/api/notes',
    clientCertificate: 'reader',
    expect: { status: 200, ...notes, events: ['authenticated'] },
  },
  {
    name: 'a client certificate principal is the rule’s name',
    path: '/api/whoami',
    clientCertificate: 'reader',
    expect: { status: 200, json: { subject: 'machine-reader' } },
  },
  {
    name: 'a client certificate with read only cannot create a note',
    method: 'POST',
    path: '/api/notes',
    headers: () => json,
    body: '{"text":"hello"}',
    clientCertificate: 'reader',
    expect: {
      status: 403,
      ...insufficient('write'),
      events: ['authenticated', 'rejected:ERR_SCOPE_INSUFFICIENT'],
    },
  },
  {
    name: 'a client certificate allowed by subject with read write creates a note',
    method: 'POST',
    path: '/api/notes',
    headers: () => json,
    body: '{"text":"hello"}',
    clientCertificate: 'writer',
    expect: { status: 201, ...created },
  },
  {
    name: 'a client certificate that no rule allows',
    path: '/api/notes',
    clientCertificate: 'other',
    expect: { status: 401, ...invalidToken, events: ['rejected:ERR_TOKEN_INVALID'] },
  },
  {
    name: 'a client certificate whose rule is revoked',
    path: '/api/notes',
    clientCertificate: 'revoked',
    expect: { status: 401, ...invalidToken, events: ['rejected:ERR_TOKEN_INVALID'] },
  },
  {
    name: 'a client certificate that no rule allows is refused under optional authentication too',
    profile: 'optional',
    path: '/api/whoami',
    clientCertificate: 'other',
    expect: { status: 401, ...invalidToken },
  },
  {
    name: 'a bearer token on a connection with an allowed client certificate: the token decides',
    path: '/api/whoami',
    headers: (c) => bearer(c.token.read),
    clientCertificate: 'writer',
    expect: { status: 200, json: { subject: 'alice' } },
  },
];
