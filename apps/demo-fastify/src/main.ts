// `pnpm --filter @restguard/demo-fastify start`: the Fastify notes demo on the contract's environment.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDemo } from '@restguard/demo-kit';
import { fastifyDemo } from './index.js';

await runDemo(fastifyDemo(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')));
