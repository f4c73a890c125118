/**
 * The HTTP rows: for each framework, which server variant answers which scenario. Every scenario has
 * its own bare row (the framework without auth, sent the same credentials), so restguard is paired
 * with bare, floor and peer within each round.
 */
import type { RowRole } from '../results.js';
import type { Framework, Variant } from './fixture.js';
import type { Credentials } from './load.js';

/** Credentials the orchestrator prepared for the HTTP rows. */
export interface HttpMaterial {
  readonly repeatedToken: string;
  readonly distinctTokens: readonly string[];
  readonly forgedTokens: readonly string[];
  /** Keys in restguard's memory store and the floor's map (same keys). */
  readonly memoryKeys: readonly string[];
  readonly sqliteKeys: readonly string[];
  /** Empty when PostgreSQL is not configured. */
  readonly postgresKeys: readonly string[];
}

/** One HTTP row: which server variant, which path, which credential, which status to expect. */
export interface HttpRow {
  readonly scenarioKey: string;
  readonly scenario: string;
  readonly label: string;
  readonly role: RowRole;
  readonly variant: Variant;
  readonly path: string;
  readonly credentials: Credentials;
  readonly expect: number;
}

const PEER: Record<Framework, string> = {
  express: 'express-oauth2-jwt-bearer',
  fastify: '@fastify/jwt (static key)',
  hono: 'hono/jwk (static keys)',
};

/**
 * The HTTP rows of one framework: the three token scenarios for bare, the floor, the peer and
 * restguard, and the API-key scenarios with their bare rows.
 * @example
 * const rows = httpRows('express', material);
 */
export function httpRows(framework: Framework, m: HttpMaterial): HttpRow[] {
  const bearer = (values: readonly string[]): Credentials => ({
    header: 'authorization',
    scheme: 'Bearer ',
    values,
  });
  const apiKey = (values: readonly string[]): Credentials => ({ header: 'x-api-key', values });
  const tokenScenarios = [
    {
      key: 'valid-repeated',
      label: 'RS256 valid, repeated token',
      creds: bearer([m.repeatedToken]),
      expect: 200,
    },
    {
      key: 'valid-distinct',
      label: 'RS256 valid, distinct tokens',
      creds: bearer(m.distinctTokens),
      expect: 200,
    },
    {
      key: 'invalid',
      label: 'RS256 tampered signature, distinct',
      creds: bearer(m.forgedTokens),
      expect: 401,
    },
  ];
  const rows: HttpRow[] = [];
  const bareRow = (scenarioKey: string, scenario: string, credentials: Credentials) =>
    rows.push({
      scenarioKey,
      scenario,
      label: `${framework} bare (no auth)`,
      role: 'bare',
      variant: 'bare',
      path: '/api/notes',
      credentials,
      expect: 200,
    });
  for (const s of tokenScenarios) {
    const row = (label: string, role: RowRole, variant: Variant) =>
      rows.push({
        scenarioKey: s.key,
        scenario: s.label,
        label,
        role,
        variant,
        path: '/api/notes',
        credentials: s.creds,
        expect: s.expect,
      });
    bareRow(s.key, s.label, s.creds);
    row('floor: node:crypto middleware', 'floor', 'floor');
    row(PEER[framework], 'peer', 'peer');
    if (framework === 'hono' && s.key === 'valid-repeated')
      row('hono/jwk (jwks_uri)', 'other', 'peer-jwks-uri');
    row('restguard', 'restguard', 'restguard');
  }
  const keyRow = (
    key: string,
    scenario: string,
    label: string,
    role: RowRole,
    variant: Variant,
    path: string,
    values: readonly string[],
  ) =>
    rows.push({
      scenarioKey: key,
      scenario,
      label,
      role,
      variant,
      path,
      credentials: apiKey(values),
      expect: 200,
    });
  bareRow('apikey-memory-warm', 'API key, memory, warm', apiKey(m.memoryKeys.slice(0, 1)));
  keyRow(
    'apikey-memory-warm',
    'API key, memory, warm',
    'floor: HMAC + Map',
    'floor',
    'floor',
    '/api/notes',
    m.memoryKeys.slice(0, 1),
  );
  const stores = [
    { kind: 'memory', name: 'memory', path: '/api/notes', keys: m.memoryKeys, temperatures: ['warm'] },
    {
      kind: 'sqlite',
      name: 'SQLite',
      path: '/sqlite/notes',
      keys: m.sqliteKeys,
      temperatures: ['warm', 'cold'],
    },
    {
      kind: 'postgres',
      name: 'PostgreSQL',
      path: '/postgres/notes',
      keys: m.postgresKeys,
      temperatures: ['warm', 'cold'],
    },
  ];
  for (const store of stores) {
    if (store.keys.length === 0) continue;
    for (const temperature of store.temperatures) {
      const values = temperature === 'warm' ? store.keys.slice(0, 1) : store.keys;
      const key = `apikey-${store.kind}-${temperature}`;
      const scenario = `API key, ${store.name}, ${temperature}`;
      if (key !== 'apikey-memory-warm') bareRow(key, scenario, apiKey(values));
      keyRow(key, scenario, `restguard (${store.name} store)`, 'restguard', 'restguard', store.path, values);
    }
  }
  return rows;
}
