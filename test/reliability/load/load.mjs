// The reliability suite's load process (a separate process from the server under test): keeps
// `connections` requests in flight for `seconds`, picking request kinds round-robin, and checks every
// answer against the statuses its kind expects. Prints one JSON summary on stdout.
//
//   node load/load.mjs plan.json
//
// plan: { base, caFile, seconds, connections, kinds: [{ name, method?, path, headers?, body?,
//   expect: [status…], revocable?: true, generate?: 'unknownKid' | 'garbage' | 'unknownKey', pool? }] }
// A `revocable` kind may answer its first status (e.g. 200) until its last one (e.g. 401) has been
// seen; a first-status answer to a request sent after that counts as wrongly accepted.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { generateApiKey } from '@restguard/core';
import { Pool } from 'undici';

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const generators = {
  unknownKid: () =>
    `Bearer ${b64({ alg: 'RS256', typ: 'at+jwt', kid: randomBytes(12).toString('hex') })}.${b64({
      iss: plan.issuer,
      aud: plan.audience,
      sub: 'flood',
      exp: Math.floor(Date.now() / 1000) + 300,
    })}.${randomBytes(256).toString('base64url')}`,
  garbage: () => `Bearer ${randomBytes(1 + Math.floor(Math.random() * 200)).toString('base64url')}`,
  unknownKey: () => `Bearer ${generateApiKey('rg_test')}`,
};
for (const kind of plan.kinds) {
  if (!kind.generate) continue;
  const make = generators[kind.generate];
  // A pool of distinct values reused at random (0: a new value every time).
  kind.values = kind.pool ? Array.from({ length: kind.pool }, make) : undefined;
  kind.next = () => (kind.values ? kind.values[Math.floor(Math.random() * kind.values.length)] : make());
}

const pool = new Pool(plan.base, {
  connections: plan.connections,
  connect: { ca: readFileSync(plan.caFile, 'utf8') },
  headersTimeout: 30_000,
  bodyTimeout: 30_000,
});
const stats = Object.fromEntries(plan.kinds.map((k) => [k.name, { count: 0, statuses: {} }]));
const unexpected = [];
let unexpectedCount = 0;
let wronglyAccepted = 0;
let worstMs = 0;
let total = 0;
let errors = 0;
const revokedSeenAt = new Map();
const deadline = Date.now() + plan.seconds * 1000;
let turn = 0;

async function worker() {
  while (Date.now() < deadline) {
    const kind = plan.kinds[turn++ % plan.kinds.length];
    const headers = { ...(kind.headers ?? {}) };
    if (kind.next) headers.authorization = kind.next();
    if (kind.body) headers['content-type'] = 'application/json';
    const sentAt = performance.now();
    let status = 0;
    try {
      const res = await pool.request({
        method: kind.method ?? 'GET',
        path: kind.path,
        headers,
        body: kind.body,
      });
      status = res.statusCode;
      await res.body.dump();
    } catch {
      errors++;
    }
    const ms = performance.now() - sentAt;
    worstMs = Math.max(worstMs, ms);
    total++;
    const s = stats[kind.name];
    s.count++;
    s.statuses[status] = (s.statuses[status] ?? 0) + 1;
    if (!kind.expect.includes(status)) {
      unexpectedCount++;
      if (unexpected.length < 10) unexpected.push({ kind: kind.name, status });
    }
    if (kind.revocable) {
      const last = kind.expect[kind.expect.length - 1];
      if (status === last && !revokedSeenAt.has(kind.name)) revokedSeenAt.set(kind.name, performance.now());
      const seen = revokedSeenAt.get(kind.name);
      if (status === kind.expect[0] && seen !== undefined && sentAt > seen) wronglyAccepted++;
    }
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: plan.connections * 2 }, worker));
const seconds = (performance.now() - started) / 1000;
await pool.close();
process.stdout.write(
  `${JSON.stringify({
    total,
    rate: Math.round(total / seconds),
    seconds: Math.round(seconds * 10) / 10,
    errors,
    unexpectedCount,
    unexpected,
    wronglyAccepted,
    worstMs: Math.round(worstMs),
    stats,
  })}\n`,
);
