/**
 * Browser SSO in headless Chromium against the REAL dev issuer, for an app built directly on core's
 * guard (session-app.ts). The app's clock moves forward so the access token expires without waiting.
 */
import { startSessionApp } from './session-app.js';
import { describeBrowserSso } from './session-scenario.js';

describeBrowserSso('browser SSO in headless Chromium (core guard)', async () => {
  const env = await startSessionApp();
  return {
    baseUrl: env.baseUrl,
    issuerUrl: env.issuer.issuer,
    // Past the 300 s access-token lifetime, twice: only a refreshed session can still answer.
    async expireAccessToken() {
      env.clock.offset += 310_000;
    },
    close: () => env.close(),
  };
});
