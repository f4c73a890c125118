// @restguard/dev-issuer: a real OpenID Provider for local development and end-to-end tests.
export { checkDevPassword, type DevAccount, devAccounts, findDevAccount } from './accounts.js';
export { type DevIssuerKeys, KEYS_FILE_NAME, loadOrCreateKeys } from './keys.js';
export {
  API_SCOPES,
  DEFAULT_AUDIENCE,
  DEV_ISSUER_DEFAULT_PORT,
  DEV_MACHINE_CLIENT,
  DEV_WEB_CLIENT,
  type DevIssuerOptions,
  type DevIssuerTlsOptions,
  type DevIssuerWebClientOptions,
} from './options.js';
export { type DevIssuer, startDevIssuer } from './start.js';
