/**
 * Issue 9's browser flow for each demo app, started as a separate process on its embedded defaults
 * (the dev issuer in-process). The dev issuer's access tokens live 15 s here, so "after the access
 * token expires" is a real expiry followed by a real refresh at the provider.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Started, startApp, tempDir } from './processes.js';
import { describeBrowserSso } from './session-scenario.js';

const ACCESS_TOKEN_TTL_SECONDS = 15;

for (const framework of ['express', 'fastify', 'hono'] as const) {
  describeBrowserSso(`demo-${framework}: browser SSO in headless Chromium`, async () => {
    const app: Started = await startApp(
      `demo-${framework}`,
      {
        PORT: '0',
        RESTGUARD_DATA_DIR: tempDir(`sso-${framework}`),
        DEV_ISSUER_ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS),
      },
      /browser: https:\/\/\S+\//,
    );
    const out = app.output();
    return {
      baseUrl: /listening on (https:\/\/\S+)/.exec(out)![1]!,
      issuerUrl: /issuer: +(https:\/\/\S+)/.exec(out)![1]!,
      expireAccessToken: () => sleep((ACCESS_TOKEN_TTL_SECONDS + 1) * 1000),
      close: () => app.stop(),
    };
  });
}
