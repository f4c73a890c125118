/**
 * The consumer's code, written into fresh folders: per framework a ~10-line app that answers 401 without a
 * token and 200 with one minted by @restguard/testing, in ESM (`import`) and CommonJS (`require`). Each
 * app starts, asks itself twice over real HTTP, prints one JSON line and exits.
 */

/** Frameworks the suite installs. */
export type Framework = 'express' | 'fastify' | 'hono';

const options =
  '{ tokens: { issuers: [{ issuer: issuer.url, audience: issuer.audience }], fetch: issuer.fetch }, tls: false }';

const probe = `
const url = 'http://127.0.0.1:' + port + '/hello';
const anonymous = await fetch(url);
const token = await issuer.mint({ scope: 'read' });
const authorized = await fetch(url, { headers: { authorization: 'Bearer ' + token } });
console.log(JSON.stringify({ anonymous: anonymous.status, challenge: anonymous.headers.get('www-authenticate'), authorized: authorized.status, body: await authorized.json() }));`;

const apps: Record<Framework, { imports: Record<string, string>; body: string }> = {
  express: {
    imports: {
      express: 'default',
      '@restguard/express': '{ restguard, requireScopes, restguardErrorHandler }',
    },
    body: `
const app = express();
app.use(restguard(${options}));
app.get('/hello', requireScopes(['read']), (req, res) => res.json({ subject: req.auth.subject }));
app.use(restguardErrorHandler());
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const port = server.address().port;${probe}
server.close();`,
  },
  fastify: {
    imports: { fastify: 'default', '@restguard/fastify': '{ restguard }' },
    body: `
const app = fastify();
await app.register(restguard, ${options});
app.get('/hello', { config: { restguard: { scopes: ['read'] } } }, async (request) => ({ subject: request.auth.subject }));
await app.listen({ port: 0, host: '127.0.0.1' });
const port = app.server.address().port;${probe}
await app.close();`,
  },
  hono: {
    imports: {
      hono: '{ Hono }',
      '@hono/node-server': '{ serve }',
      '@restguard/hono': '{ restguard, requireScopes, onError }',
    },
    body: `
const app = new Hono();
app.use(restguard(${options}));
app.get('/hello', requireScopes(['read']), (c) => c.json({ subject: c.get('auth').subject }));
app.onError(onError());
const server = await new Promise((resolve) => { const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s)); });
const port = server.address().port;${probe}
server.close();`,
  },
};

/**
 * The app's source for a framework and a module format.
 * @example
 * writeFileSync('app.cjs', appSource('express', 'cjs'));
 */
export function appSource(framework: Framework, format: 'esm' | 'cjs'): string {
  const { imports, body } = apps[framework];
  const all: Record<string, string> = { '@restguard/testing': '{ createTestIssuer }', ...imports };
  const lines = Object.entries(all).map(([specifier, binding]) =>
    format === 'esm'
      ? binding === 'default'
        ? `import ${specifier} from '${specifier}';`
        : `import ${binding} from '${specifier}';`
      : binding === 'default'
        ? `const ${specifier} = require('${specifier}');`
        : `const ${binding} = require('${specifier}');`,
  );
  const main = `const issuer = await createTestIssuer({ https: true, audience: 'https://api.example' });${body}
await issuer.close();`;
  return format === 'esm'
    ? `${lines.join('\n')}\n${main}\n`
    : `${lines.join('\n')}\n(async () => {\n${main}\n})().catch((err) => { console.error(err); process.exit(1); });\n`;
}

/** A consumer file that touches every entry point's types (type-checked under three resolutions). */
export const typeCheckSource = `import { configFromEnv, createGuard, type GuardOptions, type Principal } from '@restguard/core';
import { nodeConnectionInfo, type NodeConnectionInfo } from '@restguard/core/node';
import { restguard as expressGuard, requireScopes } from '@restguard/express';
import { restguard as fastifyGuard } from '@restguard/fastify';
import { restguard as honoGuard, type RestguardEnv } from '@restguard/hono';
import { createTestIssuer, type TestIssuer } from '@restguard/testing';

const options: GuardOptions = configFromEnv({ env: { RESTGUARD_ISSUER: 'https://idp.example', RESTGUARD_AUDIENCE: 'api' } });
const guard = createGuard(options);
const principal: Principal | null = null;
const info: NodeConnectionInfo | typeof nodeConnectionInfo | null = null;
const env: RestguardEnv | null = null;
const issuer: Promise<TestIssuer> | typeof createTestIssuer | null = null;
export const all = [guard, principal, info, env, issuer, expressGuard, requireScopes, fastifyGuard, honoGuard];
`;

/** The Hono app for a Web runtime (bundled with esbuild, platform neutral); its issuer comes from globalThis. */
export const edgeSource = `import { Hono } from 'hono';
import { restguard, requireScopes, onError } from '@restguard/hono';

const config = globalThis.RESTGUARD_EDGE_CONFIG;
const app = new Hono();
app.use(restguard({ tokens: { issuers: [{ issuer: config.issuer, audience: config.audience, jwks: config.jwks }] } }));
app.get('/hello', requireScopes(['read']), (c) => c.json({ subject: c.get('auth').subject }));
app.onError(onError());
export default app;
`;

/**
 * Runs the bundle. The bundle itself was built with Node's globals (process, Buffer, global, require,
 * setImmediate, …) defined away (`undefined`), so any use of them by restguard, Hono or their
 * dependencies fails; Node's own Web API implementations (fetch, Request, crypto.subtle) are what the bundle
 * gets, as on any Web runtime. Core looks for `node:crypto` at run time through
 * `globalThis.process.getBuiltinModule` (an alias the defines cannot see): the runner removes that
 * function, so the bundle takes its Web Crypto path as it would on Workers or Deno. Tokens are minted by
 * the installed testing kit, outside the bundle.
 */
export const edgeRunnerSource = `import { createTestIssuer } from '@restguard/testing';
const issuer = await createTestIssuer({ https: true, audience: 'https://api.example' });
const token = await issuer.mint({ scope: 'read' });
globalThis.RESTGUARD_EDGE_CONFIG = { issuer: issuer.url, audience: issuer.audience, jwks: issuer.jwks() };
await issuer.close();
Object.defineProperty(process, 'getBuiltinModule', { value: undefined, configurable: true });
const { default: app } = await import('./edge.bundle.mjs');
const anonymous = await app.fetch(new Request('https://api.example/hello'));
const authorized = await app.fetch(new Request('https://api.example/hello', { headers: { authorization: 'Bearer ' + token } }));
console.log(JSON.stringify({ anonymous: anonymous.status, authorized: authorized.status, body: await authorized.json() }));
`;

/** Node-only globals, defined away in the Web-runtime bundle. */
export const NODE_GLOBALS = [
  'process',
  'Buffer',
  'global',
  'require',
  'module',
  '__filename',
  '__dirname',
  'setImmediate',
  'clearImmediate',
  'globalThis.process',
  'globalThis.Buffer',
  'globalThis.global',
  'globalThis.require',
  'globalThis.setImmediate',
];
