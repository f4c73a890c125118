#!/usr/bin/env node
/**
 * The `restguard` executable. Runs the CLI against the real process, then exits with its code once
 * stdout and stderr are flushed (an idle database pool cannot keep the process alive). The runner is
 * loaded dynamically so that even a broken installation ends in one line on stderr, not a stack trace.
 */

const flush = (stream: NodeJS.WriteStream) =>
  new Promise<void>((resolve) => stream.write('', () => resolve()));

async function main(): Promise<number> {
  let runCli: typeof import('./run.js').runCli;
  try {
    ({ runCli } = await import('./run.js'));
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    process.stderr.write(
      `restguard: the installation is incomplete${typeof code === 'string' ? ` (${code})` : ''}; reinstall @restguard/cli.\n`,
    );
    return 1;
  }
  return runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  });
}

void main().then(async (code) => {
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
});
