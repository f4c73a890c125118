// A second process for the conformance suite: opens the store described in argv[2] (JSON), builds a
// verifier, verifies the key until it is refused, and reports on stdout, one word a line:
// `accepted` (twice verified, now cached), then `refused` or `error <code>`.
import { pathToFileURL } from 'node:url';
import { createApiKeyVerifier, isRestguardError } from '@restguard/core';

const { module, factory, options, key } = JSON.parse(process.argv[2]);
const store = (await import(pathToFileURL(module).href))[factory](options);
const verifier = createApiKeyVerifier({
  store,
  prefixes: ['rg_live', 'rg_test'],
  lastUsedFlushSeconds: 3600,
});
const say = (line) => process.stdout.write(`${line}\n`);
const finish = async (line) => {
  say(line);
  await verifier.close().catch(() => {});
  await store.close().catch(() => {});
  process.exit(0);
};

try {
  await verifier.verify(key);
  await verifier.verify(key);
  say('accepted');
} catch (err) {
  await finish(`error ${isRestguardError(err) ? err.code : 'unexpected'}`);
}
const timer = setInterval(async () => {
  try {
    await verifier.verify(key);
  } catch (err) {
    clearInterval(timer);
    await finish(
      isRestguardError(err) && err.code === 'ERR_API_KEY_INVALID' ? 'refused' : `error ${err?.code}`,
    );
  }
}, 20);
setTimeout(() => finish('timeout'), 60_000).unref();
