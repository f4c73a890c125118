/**
 * One autocannon run against a child server, from the orchestrator process: 10 connections, a fixed
 * duration (or a fixed request count in smoke mode), the credential either fixed or cycled from a
 * pool per request. Every response must carry the expected status, else the run is void.
 */
import autocannon from 'autocannon';

/** Which credential each request carries. */
export interface Credentials {
  readonly header: 'authorization' | 'x-api-key';
  /** The values; more than one → cycled per request (the cache-cold rows). */
  readonly values: readonly string[];
  /** Prepended to each value (`Bearer `). */
  readonly scheme?: string;
}

/** Figures of one run. */
export interface LoadResult {
  opsPerSecond: number;
  p50Us: number;
  p99Us: number;
  /** Set when any response had another status than expected, or a request failed. */
  problem?: string;
}

/**
 * Sends one request and returns its status (the sanity probe before any measurement).
 * @example
 * await probe(port, '/api/notes', credentials); // 200
 */
export async function probe(port: number, path: string, credentials: Credentials): Promise<number> {
  const value = `${credentials.scheme ?? ''}${credentials.values[0]}`;
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { [credentials.header]: value } });
  await res.arrayBuffer();
  return res.status;
}

/**
 * Runs autocannon against `port` + `path`.
 * @example
 * const r = await load(port, '/api/notes', creds, 200, { seconds: 3, connections: 10 });
 */
export async function load(
  port: number,
  path: string,
  credentials: Credentials,
  expectStatus: number,
  settings: { seconds: number; amount?: number; connections: number },
): Promise<LoadResult> {
  const { header, values, scheme = '' } = credentials;
  let i = 0;
  const headers = { [header]: `${scheme}${values[0]}` };
  const requests =
    values.length > 1
      ? [
          {
            method: 'GET' as const,
            path,
            setupRequest: (req: { headers?: Record<string, string> }) => {
              req.headers = { ...req.headers, [header]: `${scheme}${values[i]}` };
              i = i + 1 === values.length ? 0 : i + 1;
              return req;
            },
          },
        ]
      : undefined;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections: settings.connections,
    ...(settings.amount ? { amount: settings.amount } : { duration: settings.seconds }),
    headers,
    ...(requests ? { requests } : {}),
  } as autocannon.Options);
  const total = result.requests.total;
  const expected = (result as unknown as Record<string, number>)[`${Math.floor(expectStatus / 100)}xx`] ?? 0;
  let problem: string | undefined;
  if (result.errors > 0 || result.timeouts > 0)
    problem = `${result.errors} errors, ${result.timeouts} timeouts`;
  else if (total === 0) problem = 'no response';
  else if (expected !== total) problem = `${total - expected} of ${total} responses were not ${expectStatus}`;
  return {
    opsPerSecond: total / result.duration,
    p50Us: result.latency.p50 * 1000,
    p99Us: result.latency.p99 * 1000,
    ...(problem ? { problem } : {}),
  };
}
