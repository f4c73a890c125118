/**
 * Core's session fixtures (the OpenID Provider on a loopback socket and the login harness), for the
 * store packages' session tests. They stay beside core's own session tests, which use them too:
 * core cannot depend on this package (it depends on core), so this one relative path is the only
 * place outside core that names them.
 */
export { refreshOnTwoInstancesAtOnce } from '../../../packages/core/src/session/__fixtures__/harness.js';
export {
  type ProviderBehaviour,
  startTestProvider,
  type TestProvider,
} from '../../../packages/core/src/session/__fixtures__/provider.js';
