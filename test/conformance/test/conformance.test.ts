/**
 * The conformance suite: every scenario of the table, over real sockets (HTTPS and plain HTTP),
 * against an app on each adapter — Express 5, Express 4, Fastify and Hono on @hono/node-server.
 * Each answer must meet the scenario's expectation, and all adapters must answer byte for byte the
 * same status, `WWW-Authenticate`, content type and body, and emit the same guard events.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthEvent } from '@restguard/core';
import { type DevCertificates, ensureDevCertificates } from '@restguard/core/node';
import express5 from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceApp } from '../src/apps/contract.js';
import { buildExpressApp } from '../src/apps/express.js';
import { buildFastifyApp } from '../src/apps/fastify.js';
import { buildHonoApp } from '../src/apps/hono.js';
import { type RawAnswer, sendRaw } from '../src/client.js';
import { createFixtures, type Fixtures, REALM } from '../src/fixtures.js';
import { type Scenario, scenarios } from '../src/scenarios/index.js';
import { type Served, serve } from '../src/serve.js';
import { streamBody } from '../src/stream-body.js';

const ADAPTERS = {
  'express 5': (options) => buildExpressApp(express5, options),
  'express 4': (options) => buildExpressApp(express4 as typeof express5, options),
  fastify: buildFastifyApp,
  hono: buildHonoApp,
} satisfies Record<
  string,
  (options: ReturnType<Fixtures['guardOptions']>) => ConformanceApp | Promise<ConformanceApp>
>;
type AdapterName = keyof typeof ADAPTERS;
const PROFILES = ['strict', 'optional'] as const;

interface Running {
  readonly app: ConformanceApp;
  readonly served: Served;
  readonly events: AuthEvent[];
}

let fixtures: Fixtures;
let certificates: DevCertificates;
let certificateDir: string;
const running = new Map<string, Running>();
const key = (adapter: string, profile: string) => `${adapter}/${profile}`;

beforeAll(async () => {
  certificateDir = await mkdtemp(join(tmpdir(), 'restguard-conformance-'));
  [fixtures, certificates] = await Promise.all([
    createFixtures(certificateDir),
    ensureDevCertificates(certificateDir),
  ]);
  for (const [name, build] of Object.entries(ADAPTERS)) {
    for (const profile of PROFILES) {
      const events: AuthEvent[] = [];
      const app = await build(fixtures.guardOptions(profile, (event) => events.push(event)));
      running.set(key(name, profile), {
        app,
        served: await serve(app.listener, certificates, fixtures.clientCertificates.caFile),
        events,
      });
    }
  }
});

afterAll(async () => {
  for (const { app, served } of running.values()) {
    await served.close();
    await app.close();
  }
  await fixtures?.close();
  if (certificateDir) await rm(certificateDir, { recursive: true, force: true });
});

const eventName = (event: AuthEvent) =>
  event.type === 'rejected'
    ? `${event.type}:${event.code}${event.cause ? `:${event.cause.kind}` : ''}`
    : event.type === 'fault'
      ? `fault:${event.fault.kind}`
      : event.type;

/** Runs one scenario against one adapter: its answer and the guard events it caused. */
async function run(
  scenario: Scenario,
  adapter: AdapterName,
): Promise<{ answer: RawAnswer; events: string[] }> {
  const { served, events } = running.get(key(adapter, scenario.profile ?? 'strict'))!;
  events.length = 0;
  const origin = scenario.transport === 'http' ? served.http : served.https;
  const request = {
    method: scenario.method ?? 'GET',
    path: scenario.path,
    headers: scenario.headers?.(fixtures.credentials) ?? [],
    body: scenario.body,
    clientCertificate: scenario.clientCertificate && fixtures.clientCertificates[scenario.clientCertificate],
  };
  const answer = await sendRaw(origin, request, certificates.caCertPem);
  return { answer, events: events.map(eventName) };
}

/** The checks every answer gets, whatever the scenario. */
function checkInvariants(scenario: Scenario, answer: RawAnswer): void {
  const hsts = answer.headers['strict-transport-security'];
  if (scenario.transport === 'http') expect(hsts, 'no HSTS over plain HTTP (RFC 6797 §7.2)').toBeUndefined();
  else expect(hsts, 'HSTS on every HTTPS answer').toBe('max-age=31536000; includeSubDomains');
  if (answer.status >= 400) {
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.headers['cache-control']).toBe('no-store');
    const problem = JSON.parse(answer.body) as Record<string, unknown>;
    expect(problem.status).toBe(answer.status);
    expect(typeof problem.title).toBe('string');
    expect(answer.body).not.toMatch(/\n\s+at |stack/);
  }
  const sent = (scenario.headers?.(fixtures.credentials) ?? [])
    .filter(([name]) => name === 'authorization' || name === 'x-api-key')
    .map(([, value]) => value.replace(/^\S+ /, ''));
  const everything = answer.body + JSON.stringify(answer.headers);
  for (const credential of sent) expect(everything, 'a credential is never echoed').not.toContain(credential);
}

function checkExpectation(scenario: Scenario, answer: RawAnswer, events: string[]): void {
  const { expect: expected } = scenario;
  expect(answer.status).toBe(expected.status);
  const challenge = answer.headers['www-authenticate'];
  if (expected.challenge === null) expect(challenge).toBeUndefined();
  if (expected.challenge) {
    const { error, scope, description } = expected.challenge;
    expect(challenge).toMatch(new RegExp(`^Bearer realm="${REALM}"(, |$)`));
    if (!error) expect(challenge).toBe(`Bearer realm="${REALM}"`);
    else expect(challenge).toContain(`, error="${error}"`);
    if (scope) expect(challenge).toContain(`, scope="${scope}"`);
    else expect(challenge).not.toContain('scope=');
    if (description) expect(challenge).toContain(`, error_description="${description}"`);
  }
  if (expected.problem) expect(JSON.parse(answer.body)).toMatchObject(expected.problem);
  if (expected.problem && !('error' in expected.problem))
    expect(JSON.parse(answer.body)).not.toHaveProperty('error');
  if (expected.json !== undefined) expect(JSON.parse(answer.body)).toEqual(expected.json);
  for (const [name, value] of Object.entries(expected.headers ?? {})) {
    if (value === null) expect(answer.headers[name], name).toBeUndefined();
    else if (typeof value === 'string') expect(answer.headers[name], name).toBe(value);
    else expect(answer.headers[name], name).toMatch(value);
  }
  const cookies = ([] as string[]).concat(answer.headers['set-cookie'] ?? []);
  for (const cookie of expected.cookies ?? [])
    expect(
      cookies.some((value) => cookie.test(value)),
      String(cookie),
    ).toBe(true);
  if (expected.events) expect(events).toEqual(expected.events);
}

/** Values that are random by design (login state, nonce, PKCE challenge, sealed cookies). */
function maskRandom(answer: RawAnswer) {
  const location = answer.headers.location
    ?.toString()
    .replace(/([?&](?:state|nonce|code_challenge)=)[^&]*/g, '$1*');
  const cookies = ([] as string[])
    .concat(answer.headers['set-cookie'] ?? [])
    .map((cookie) => cookie.replace(/=[^;]*/, '=*'));
  return { location, cookies };
}

/** What must be byte-for-byte identical across adapters. */
function comparable(answer: RawAnswer, events: string[]) {
  return {
    ...maskRandom(answer),
    status: answer.status,
    wwwAuthenticate: answer.headers['www-authenticate'],
    // Success bodies are the frameworks' own JSON (with or without a charset); problems are restguard's.
    contentType: answer.status >= 300 ? answer.headers['content-type'] : undefined,
    body: answer.body,
    hsts: answer.headers['strict-transport-security'],
    events,
  };
}

describe('conformance: every adapter answers every scenario the same way', () => {
  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      const undo = scenario.during?.(fixtures);
      const results = new Map<AdapterName, Awaited<ReturnType<typeof run>>>();
      try {
        for (const adapter of Object.keys(ADAPTERS) as AdapterName[])
          results.set(adapter, await run(scenario, adapter));
      } finally {
        undo?.();
      }
      const [first, ...others] = [...results.entries()];
      for (const [adapter, { answer, events }] of results) {
        describeFailure(adapter, () => {
          checkInvariants(scenario, answer);
          checkExpectation(scenario, answer, events);
        });
      }
      for (const [adapter, { answer, events }] of others) {
        expect(comparable(answer, events), `${adapter} answers like ${first![0]}`).toEqual(
          comparable(first![1].answer, first![1].events),
        );
      }
    });
  }
});

describe('conformance: every body read is bounded', () => {
  const MiB = 1024 * 1024;
  it('a 64 MiB body streamed to the back-channel logout route is answered 413 before it ends, RSS +8 MiB at most', async () => {
    const answers = new Map<
      AdapterName,
      { status: number; body: string; contentType: unknown; hsts: unknown }
    >();
    for (const adapter of Object.keys(ADAPTERS) as AdapterName[]) {
      const { served } = running.get(key(adapter, 'strict'))!;
      const before = process.memoryUsage().rss;
      const answer = await streamBody(
        `${served.https}/auth/backchannel-logout`,
        64 * MiB,
        { 'content-type': 'application/x-www-form-urlencoded' },
        certificates.caCertPem,
      );
      const grown = process.memoryUsage().rss - before;
      describeFailure(adapter, () => {
        expect(answer.sent, 'answered before the body ended').toBeLessThan(64 * MiB);
        expect(grown, 'RSS growth').toBeLessThan(8 * MiB);
        expect(answer.status).toBe(413);
      });
      answers.set(adapter, {
        status: answer.status,
        body: answer.body,
        contentType: answer.headers['content-type'],
        hsts: answer.headers['strict-transport-security'],
      });
    }
    const [first, ...others] = [...answers.entries()];
    expect(first![1]).toEqual({
      status: 413,
      body: JSON.stringify({
        type: 'urn:restguard:problem:body_too_large',
        title: 'Content Too Large',
        status: 413,
        detail: 'The request body is too large.',
      }),
      contentType: 'application/problem+json',
      hsts: 'max-age=31536000; includeSubDomains',
    });
    for (const [adapter, answer] of others)
      expect(answer, `${adapter} answers like ${first![0]}`).toEqual(first![1]);
  }, 60_000);
});

/** Prefixes an assertion failure with the adapter's name. */
function describeFailure(adapter: string, checks: () => void): void {
  try {
    checks();
  } catch (err) {
    if (err instanceof Error) err.message = `[${adapter}] ${err.message}`;
    throw err;
  }
}
