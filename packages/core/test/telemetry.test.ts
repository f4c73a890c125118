// OpenTelemetry through @opentelemetry/api: with the SDK's in-memory exporters installed (before
// createGuard, as the docs say), decisions, identity-provider fetches and store calls are measured,
// and each decision is a span under the caller's active span. Attributes never carry a credential.
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { createTestIssuer, type TestIssuer } from '@restguard/testing';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createApiKey, createMemoryApiKeyStore } from '../src/api-key/index.js';
import { createGuard } from '../src/guard.js';
import { Jar, login, managerFor, req } from '../src/session/__fixtures__/harness.js';
import { startTestProvider } from '../src/session/__fixtures__/provider.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({
  exporter: metricExporter,
  exportIntervalMillis: 3_600_000,
});
let issuer: TestIssuer;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  issuer = await createTestIssuer({ https: true, audience: 'https://api.example' });
});
afterAll(async () => {
  await issuer?.close();
  metrics.disable();
  trace.disable();
  context.disable();
});

const request = (headers: Record<string, string>) => ({
  method: 'GET',
  url: '/api/notes?page=2',
  tls: true,
  headers: (name: string) => (headers[name] === undefined ? [] : [headers[name]!]),
});

interface Point {
  attributes: Record<string, unknown>;
  value: number | { count: number };
}
async function collect(): Promise<Map<string, Point[]>> {
  await reader.forceFlush();
  const byName = new Map<string, Point[]>();
  const last = metricExporter.getMetrics().at(-1)!;
  for (const scope of last.scopeMetrics) {
    for (const metric of scope.metrics) {
      byName.set(metric.descriptor.name, metric.dataPoints as unknown as Point[]);
    }
  }
  return byName;
}
const sum = (points: Point[] | undefined, match: Record<string, unknown>) =>
  (points ?? [])
    .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce((total, p) => total + (typeof p.value === 'number' ? p.value : p.value.count), 0);

it('measures decisions, fetches and store calls, and nests a span per decision under the request span', async () => {
  const store = createMemoryApiKeyStore();
  const { key } = await createApiKey(store, { name: 'ci', permissions: ['read'] });
  const guard = createGuard({
    tokens: { fetch: issuer.fetch, issuers: [{ issuer: issuer.url, audience: issuer.audience }] },
    apiKeys: { store },
    tls: false,
  });
  const token = await issuer.mint({ scope: 'read' });
  const tracer = trace.getTracer('test-http-server');
  const parents: string[] = [];
  const decide = (headers: Record<string, string>, scopes: string[]) =>
    tracer.startActiveSpan('GET /api/notes', async (parent) => {
      parents.push(parent.spanContext().spanId);
      try {
        return await guard.decide(request(headers), scopes);
      } finally {
        parent.end();
      }
    });
  expect((await decide({ authorization: `Bearer ${token}` }, ['read'])).allow).toBe(true);
  expect((await decide({ 'x-api-key': key }, ['read'])).allow).toBe(true);
  expect((await decide({ 'x-api-key': key }, ['write'])).allow).toBe(false);
  expect((await decide({}, ['read'])).allow).toBe(false);
  await guard.close();

  const down = await createTestIssuer({ https: true, audience: 'https://api.example' });
  down.setMode('500', 'jwks');
  const offline = createGuard({
    tokens: { fetch: down.fetch, issuers: [{ issuer: down.url, audience: down.audience }] },
    tls: false,
  });
  expect((await offline.decide(request({ authorization: `Bearer ${await down.mint()}` }), [])).allow).toBe(
    false,
  );
  await offline.close();
  await down.close();

  const m = await collect();
  const decisions = m.get('restguard.auth.decisions');
  expect(sum(decisions, { 'restguard.outcome': 'allow', 'restguard.credential.kind': 'token' })).toBe(1);
  expect(sum(decisions, { 'restguard.outcome': 'allow', 'restguard.credential.kind': 'apiKey' })).toBe(1);
  expect(
    sum(decisions, {
      'restguard.outcome': 'deny',
      'restguard.credential.kind': 'apiKey',
      'restguard.error.code': 'ERR_SCOPE_INSUFFICIENT',
    }),
  ).toBe(1);
  expect(
    sum(decisions, {
      'restguard.credential.kind': 'none',
      'restguard.error.code': 'ERR_CREDENTIALS_MISSING',
    }),
  ).toBe(1);
  expect(
    sum(decisions, { 'restguard.credential.kind': 'token', 'restguard.error.code': 'ERR_UNAVAILABLE' }),
  ).toBe(1);
  expect(sum(m.get('restguard.auth.decision.duration'), {})).toBe(5);
  const fetches = m.get('restguard.idp.fetches');
  expect(sum(fetches, { 'restguard.fetch.target': 'discovery', 'restguard.outcome': 'ok' })).toBe(2);
  expect(sum(fetches, { 'restguard.fetch.target': 'jwks', 'restguard.outcome': 'ok' })).toBe(1);
  expect(sum(fetches, { 'restguard.fetch.target': 'jwks', 'restguard.outcome': 'error' })).toBe(1);
  expect(sum(m.get('restguard.idp.fetch.duration'), {})).toBe(4);
  expect(
    sum(m.get('restguard.store.duration'), {
      'restguard.store.operation': 'findByHash',
      'restguard.outcome': 'ok',
    }),
  ).toBe(1);

  const decideSpans = spans.getFinishedSpans().filter((span) => span.name === 'restguard.decide');
  expect(decideSpans).toHaveLength(5);
  const nested = decideSpans.filter((span) => parents.includes(span.parentSpanContext?.spanId ?? ''));
  expect(nested).toHaveLength(4);
  expect(nested[0]!.attributes).toMatchObject({
    'http.request.method': 'GET',
    'url.path': '/api/notes',
    'restguard.outcome': 'allow',
    'restguard.credential.kind': 'token',
  });
  const everything = JSON.stringify([...m.values(), ...decideSpans.map((span) => span.attributes)]);
  expect(everything).not.toContain(key);
  expect(everything).not.toContain(token.split('.')[2]);
  expect(everything).not.toContain('page=2');
});

it('counts session refreshes by outcome and measures revocation-list checks', async () => {
  const provider = await startTestProvider();
  try {
    const { manager, clock } = managerFor(provider);
    const jar = new Jar();
    await login(manager, provider, jar);
    clock.now += 290_000;
    expect((await manager.authenticate(req('GET', '/', jar)))!.principal).not.toBeNull();
    provider.behaviour.refuseRefresh = true;
    clock.now += 290_000;
    expect((await manager.authenticate(req('GET', '/', jar)))!.principal).toBeNull();
  } finally {
    await provider.close();
  }
  const m = await collect();
  const refreshes = m.get('restguard.session.refreshes');
  expect(sum(refreshes, { 'restguard.outcome': 'ok' })).toBe(1);
  expect(sum(refreshes, { 'restguard.outcome': 'refused' })).toBe(1);
  // Login records its used state (one check, one write); two authentications; the refused refresh.
  expect(sum(m.get('restguard.store.duration'), { 'restguard.store.operation': 'isRevoked' })).toBe(3);
  expect(sum(m.get('restguard.store.duration'), { 'restguard.store.operation': 'revoke' })).toBe(2);
});
