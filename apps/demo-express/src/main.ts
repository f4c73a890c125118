// `pnpm --filter @restguard/demo-express start`: the Express notes demo on the contract's environment.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDemo } from '@restguard/demo-kit';
import { expressDemo } from './index.js';

await runDemo(expressDemo(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')));
