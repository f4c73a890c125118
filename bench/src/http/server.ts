/**
 * Entry of one server child process: `RESTGUARD_BENCH_SERVER={"framework","variant"}` and
 * `RESTGUARD_BENCH_FIXTURE=path`. It starts the server on 127.0.0.1, reports `{ port }` over IPC and
 * exits when the orchestrator disconnects. Load never comes from this process.
 */
import type { Server } from 'node:http';
import { createServerKit } from '../restguard/server-kit.js';
import { startExpress } from './express-app.js';
import { startFastify } from './fastify-app.js';
import { type Framework, readFixture, type Variant } from './fixture.js';
import { startHono } from './hono-app.js';

const { framework, variant } = JSON.parse(process.env.RESTGUARD_BENCH_SERVER ?? '{}') as {
  framework: Framework;
  variant: Variant;
};

async function main(): Promise<void> {
  const fixture = readFixture();
  const kit = await createServerKit(fixture, framework);
  const start = { express: startExpress, fastify: startFastify, hono: startHono }[framework];
  const server: Server = await start(variant, fixture, kit);
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  process.send?.({ port: address.port });
  process.on('disconnect', () => {
    server.close();
    void kit.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}

main().catch((err: unknown) => {
  process.send?.({ error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
