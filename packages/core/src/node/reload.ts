/**
 * Serves renewed certificate files without a restart: watches the certificate, key and CA files
 * (directory events, which catch atomic renames and the symlink swaps of certbot and Kubernetes
 * secrets, plus stat polling as a fallback) and, optionally, SIGHUP; then loads and checks the new
 * files and calls `server.setSecureContext`. New connections get the new certificate; open ones
 * keep theirs. Invalid new files (half-written, key not matching) leave the old context in place.
 */
import { type FSWatcher, type StatsListener, unwatchFile, watch, watchFile } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { SecureContextOptions, Server as TlsServer } from 'node:tls';
import { loadTlsCredentials, type TlsCredentials, type TlsFiles } from './credentials.js';

/** What happened on a reload attempt. Never carries key material. */
export type TlsReloadEvent =
  | {
      readonly type: 'reloaded';
      readonly certFile: string;
      readonly notAfter: Date;
      readonly fingerprint256: string;
    }
  | {
      readonly type: 'reload_failed';
      readonly certFile: string;
      readonly message: string;
      readonly error: unknown;
    };

/** The lowest TLS version accepted: 1.2 (the default) or 1.3. */
export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';

/** Options of {@link watchTlsCredentials}. */
export interface TlsReloadOptions extends TlsFiles {
  /** Default `TLSv1.2`. Kept on every new context. */
  readonly minVersion?: TlsMinVersion;
  /** Watch the files. Default true. */
  readonly watch?: boolean;
  /** Also reload on this signal (e.g. `systemctl reload`, `kill -HUP`). Default: none. */
  readonly reloadSignal?: 'SIGHUP' | false;
  /** Stat-polling interval of the fallback watcher, in ms. Default 2000. */
  readonly pollIntervalMs?: number;
  /** Quiet time after the last file event before reloading, in ms. Default 100. */
  readonly debounceMs?: number;
  /** Receives every reload outcome (log it; restguard never writes to the console). */
  readonly onReload?: (event: TlsReloadEvent) => void;
  /** Further secure-context options (ciphers, curves…) to keep on every new context. */
  readonly contextOptions?: Omit<
    SecureContextOptions,
    'cert' | 'key' | 'ca' | 'minVersion' | 'pfx' | 'passphrase'
  >;
  /** The credentials the server already serves (so an unchanged file is not reported as a reload). */
  readonly current?: TlsCredentials;
}

/** A running watcher. */
export interface TlsWatcher {
  /** Loads the files now; true when a new certificate is being served. */
  reload(): Promise<boolean>;
  /** Stops watching (the server keeps its current certificate). */
  close(): void;
}

/**
 * The secure-context options for a set of credentials (TLS 1.2 minimum unless told otherwise).
 * @example
 * https.createServer(secureContextOptions(await loadTlsCredentials(files)), app);
 */
export function secureContextOptions(
  credentials: TlsCredentials,
  minVersion: TlsMinVersion = 'TLSv1.2',
  extra: TlsReloadOptions['contextOptions'] = {},
): SecureContextOptions {
  const out: SecureContextOptions = { ...extra, cert: credentials.cert, key: credentials.key, minVersion };
  if (credentials.ca !== undefined) out.ca = credentials.ca;
  return out;
}

/**
 * Keeps a TLS server (https, http2 secure, or a framework's `server`) on the current certificate
 * files. Call `close()` when the server closes.
 * @example
 * const app = Fastify({ https: { ...(await loadTlsCredentials(files)), minVersion: 'TLSv1.2' } });
 * const watcher = watchTlsCredentials(app.server, { ...files, reloadSignal: 'SIGHUP', onReload: (e) => app.log.info(e) });
 * app.addHook('onClose', async () => watcher.close());
 */
export function watchTlsCredentials(server: TlsServer, options: TlsReloadOptions): TlsWatcher {
  const loaded = { current: options.current };
  let chain: Promise<boolean> = Promise.resolve(false);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const emit = (event: TlsReloadEvent) => {
    try {
      options.onReload?.(event);
    } catch {
      // a listener's failure never stops the watcher
    }
  };
  const attempt = () => reloadCredentials(server, options, loaded, emit);
  const reload = (): Promise<boolean> => {
    chain = chain.then(attempt, attempt);
    return chain;
  };
  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), options.debounceMs ?? 100);
  };
  const stopWatching = options.watch !== false ? watchCredentialFiles(options, schedule) : () => undefined;
  const onSignal = () => void reload();
  if (options.reloadSignal) process.on(options.reloadSignal, onSignal);
  return {
    reload,
    close() {
      closed = true;
      clearTimeout(timer);
      stopWatching();
      if (options.reloadSignal) process.off(options.reloadSignal, onSignal);
    },
  };
}

/**
 * One reload: loads the files and, when they changed, puts them on the server (`loaded.current`
 * follows) and emits `reloaded`; a failure emits `reload_failed` and keeps the credentials in use.
 */
async function reloadCredentials(
  server: TlsServer,
  options: TlsReloadOptions,
  loaded: { current: TlsReloadOptions['current'] },
  emit: (event: TlsReloadEvent) => void,
): Promise<boolean> {
  try {
    const next = await loadTlsCredentials(options);
    const { current } = loaded;
    if (current && next.cert === current.cert && next.key === current.key && next.ca === current.ca)
      return false;
    server.setSecureContext(secureContextOptions(next, options.minVersion, options.contextOptions));
    loaded.current = next;
    emit({
      type: 'reloaded',
      certFile: options.certFile,
      notAfter: next.notAfter,
      fingerprint256: next.fingerprint256,
    });
    return true;
  } catch (error) {
    const message = error instanceof Error ? error.message : 'The certificate files could not be loaded.';
    emit({ type: 'reload_failed', certFile: options.certFile, message, error });
    return false;
  }
}

/**
 * Calls `schedule` when a certificate file changes: directory events (fast, where the platform has
 * them) and polling of each file (always). Returns the function that stops both.
 */
function watchCredentialFiles(options: TlsReloadOptions, schedule: () => void): () => void {
  const files = [options.certFile, options.keyFile, options.caFile].filter(
    (file): file is string => file !== undefined,
  );
  const watchers: FSWatcher[] = [];
  const pollers: Array<[string, StatsListener]> = [];
  const names = new Set(files.map((file) => basename(file)));
  for (const dir of new Set(files.map((file) => dirname(resolve(file))))) {
    try {
      const watcher = watch(dir, { persistent: false }, (_event, name) => {
        // `..data` & co: Kubernetes swaps a secret's files through a symlinked directory.
        if (name === null || names.has(String(name)) || String(name).startsWith('..')) schedule();
      });
      watcher.on('error', () => undefined);
      watchers.push(watcher);
    } catch {
      // no directory events here (some network file systems): polling still runs
    }
  }
  for (const file of files) {
    const listener: StatsListener = (now, before) => {
      if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino || now.size !== before.size) schedule();
    };
    watchFile(file, { persistent: false, interval: options.pollIntervalMs ?? 2000 }, listener);
    pollers.push([file, listener]);
  }
  return () => {
    for (const watcher of watchers) watcher.close();
    for (const [file, listener] of pollers) unwatchFile(file, listener);
  };
}
