// `pnpm --filter @restguard/demo-hono start`: the Hono notes demo on the contract's environment.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDemo } from '@restguard/demo-kit';
import { honoDemo } from './index.js';

await runDemo(honoDemo(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')));
