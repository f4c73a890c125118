/**
 * The one table of behaviours every adapter must show identically: a credential and a route in,
 * the status, the RFC 6750 challenge, the RFC 9457 problem and the headers out.
 */
import { clientCertificateScenarios } from './client-certificates.js';
import { credentialScenarios } from './credentials.js';
import { rateLimitScenarios } from './rate-limits.js';
import { requestScenarios } from './requests.js';

export type { Expectation, Scenario } from './shape.js';

/** The table: every scenario, in the order they run. */
export const scenarios = [
  ...credentialScenarios,
  ...clientCertificateScenarios,
  ...requestScenarios,
  ...rateLimitScenarios,
];
