/**
 * The ACME manager (RFC 8555): creates or reuses an account, orders a certificate for the
 * configured names, answers the challenge (HTTP-01 §8.3 on the plain-HTTP listener, TLS-ALPN-01
 * RFC 8737 on the HTTPS port), installs the certificate through the HTTPS server's hot-reload path
 * (`reloadCertificates`: new connections get it, open ones keep theirs) and renews it before expiry.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { RequestListener } from 'node:http';
import path from 'node:path';
import { ConfigInvalidError } from '@restguard/core';
import { createDevCa, issueCertificate, type ManagedHttpsServer, type TlsFiles } from '@restguard/core/node';
import * as acme from 'acme-client';
import { type AcmeOptions, type ResolvedAcmeOptions, resolveAcmeOptions } from './config.js';
import { type AcmeEvent, renewalTime, retryDelay } from './events.js';
import { httpChallengeListener } from './http-challenge.js';
import {
  createDirectoryStorage,
  ensurePrivateDirectory,
  type StoredCertificate,
  writePrivateFile,
} from './storage.js';
import { attachTlsAlpnResponder, type TlsAlpnResponder } from './tls-alpn.js';
import { manageDirectory } from './transport.js';

/** A running ACME manager. */
export interface AcmeManager {
  /** The files the HTTPS server serves (kept up to date by the manager). */
  readonly files: TlsFiles;
  /** The certificate being served, once one from the CA is installed. */
  readonly certificate: { readonly serialNumber: string; readonly notAfter: Date } | undefined;
  /** When the next renewal is due. */
  readonly renewalAt: Date | undefined;
  /**
   * Writes the files the HTTPS server starts with: the stored certificate, else a short-lived
   * self-signed placeholder (so TLS-ALPN-01 can be answered on the server's own port).
   */
  prepare(): Promise<TlsFiles>;
  /** For HTTP-01: answers `/.well-known/acme-challenge/…`, passes everything else to `next`. */
  httpChallengeListener(next?: RequestListener): RequestListener;
  /** Obtains a certificate unless a valid one is stored, installs it into `server`, schedules renewal. */
  start(server: ManagedHttpsServer): Promise<void>;
  /** Orders a new certificate now; false (and a retry scheduled) when the order failed. */
  renewNow(): Promise<boolean>;
  /** Stops timers and challenge answering (the server keeps its certificate). */
  close(): void;
}

const MAX_TIMER_MS = 2_147_000_000;
const PLACEHOLDER_DAYS = 7;

const facts = (certPem: string) => {
  const cert = new X509Certificate(certPem);
  return {
    serialNumber: cert.serialNumber,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    cert,
  };
};
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Creates an ACME manager. Options are checked now ({@link ConfigInvalidError}); nothing is ordered
 * before `start`.
 * @example
 * const manager = createAcmeManager({
 *   directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory', domains: ['api.example.com'],
 *   email: 'ops@example.com', termsOfServiceAgreed: true, directory: '/var/lib/notes/acme',
 * });
 * const files = await manager.prepare();
 * const server = createHttpsServer(app, files); // from @restguard/core/node
 * http.createServer(manager.httpChallengeListener(plainHttpListener(guard))).listen(80);
 * server.listen(443, async () => manager.start(server));
 */
export function createAcmeManager(options: AcmeOptions): AcmeManager {
  const config: ResolvedAcmeOptions = resolveAcmeOptions(options);
  const storage = config.storage ?? createDirectoryStorage(config.directory);
  manageDirectory(config.directoryUrl, config.directoryCa);
  const files: TlsFiles = {
    certFile: path.join(config.directory, 'serving-cert.pem'),
    keyFile: path.join(config.directory, 'serving-key.pem'),
  };
  const httpTokens = new Map<string, string>();
  let httpListenerMade = false;
  let responder: TlsAlpnResponder | undefined;
  let server: ManagedHttpsServer | undefined;
  let current: ReturnType<typeof facts> | undefined;
  let renewalAt: Date | undefined;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  let inFlight: Promise<boolean> | undefined;
  let closed = false;

  const emit = (event: AcmeEvent) => {
    try {
      config.onEvent?.(event);
    } catch {
      // a listener's failure never stops the manager
    }
  };
  const usable = (stored: StoredCertificate | undefined) => {
    if (!stored) return undefined;
    try {
      const found = facts(stored.certPem);
      const covers = config.domains.every((domain) => found.cert.checkHost(domain) !== undefined);
      return covers && found.notAfter.getTime() > Date.now() ? found : undefined;
    } catch {
      return undefined;
    }
  };
  const writeServing = async (pair: StoredCertificate) => {
    await ensurePrivateDirectory(config.directory);
    await writePrivateFile(files.keyFile, pair.keyPem);
    await writePrivateFile(files.certFile, pair.certPem);
  };
  const wait = (ms: number, run: () => void) => {
    clearTimeout(timer);
    if (closed) return;
    timer = setTimeout(
      () => (ms > MAX_TIMER_MS ? wait(ms - MAX_TIMER_MS, run) : run()),
      Math.min(ms, MAX_TIMER_MS),
    );
    timer.unref();
  };
  const schedule = () => {
    if (!current) return;
    renewalAt = renewalTime(
      current.notBefore,
      current.notAfter,
      config.renewAtFraction,
      config.renewJitterFraction,
    );
    emit({ type: 'renewal_scheduled', at: renewalAt });
    wait(Math.max(0, renewalAt.getTime() - Date.now()), () => void renewNow());
  };

  const accountKey = async (): Promise<string> => {
    const stored = await storage.loadAccountKey();
    if (stored) return stored;
    const created = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
    await storage.saveAccountKey(created);
    // Shared storage keeps the first key saved by any instance.
    return (await storage.loadAccountKey()) ?? created;
  };
  const client = async () =>
    new acme.Client({
      directoryUrl: config.directoryUrl,
      accountKey: await accountKey(),
      backoffMin: config.pollIntervalMs,
      backoffMax: config.pollIntervalMs * 4,
      backoffAttempts: 30,
    });

  const order = async (): Promise<StoredCertificate> => {
    const acmeClient = await client();
    const [keyPem, csr] = await acme.crypto.createCsr(
      { commonName: config.domains[0]!, altNames: [...config.domains] },
      await acme.crypto.createPrivateEcdsaKey('P-256'),
    );
    const certPem = await acmeClient.auto({
      csr,
      ...(config.email ? { email: config.email } : {}),
      termsOfServiceAgreed: true,
      // acme-client's own pre-check resolves names with the system resolver; the CA's check is the one that counts.
      skipChallengeVerification: true,
      challengePriority: [config.challenge],
      challengeCreateFn: async (authz, challenge, keyAuthorization) => {
        if (challenge.type !== config.challenge) {
          throw new Error(`the CA offers no ${config.challenge} challenge for ${authz.identifier.value}`);
        }
        if (challenge.type === 'http-01') {
          httpTokens.set(challenge.token, keyAuthorization);
          await storage.saveChallenge?.(challenge.token, keyAuthorization);
        } else {
          const [alpnKey, alpnCert] = await acme.crypto.createAlpnCertificate(
            authz,
            keyAuthorization,
            await acme.crypto.createPrivateEcdsaKey('P-256'),
          );
          responder?.set(authz.identifier.value, alpnCert.toString(), alpnKey.toString());
        }
      },
      challengeRemoveFn: async (authz, challenge) => {
        if (challenge.type === 'http-01') {
          httpTokens.delete(challenge.token);
          await storage.deleteChallenge?.(challenge.token).catch(() => undefined);
        } else responder?.delete(authz.identifier.value);
      },
    });
    const issued = { certPem: certPem.toString(), keyPem: keyPem.toString() };
    if (!usable(issued))
      throw new Error('the CA returned a certificate that does not cover the configured domains');
    return issued;
  };

  /**
   * One install at a time (an order and another instance's NOTIFY may both bring one). The pair is
   * checked first, so the server's reload cannot refuse it; its answer is then not needed (false
   * also means the file watcher took the new files first).
   */
  let installing: Promise<unknown> = Promise.resolve();
  const install = (issued: StoredCertificate, source: 'order' | 'storage'): Promise<void> => {
    const run = installing.then(async () => {
      const next = facts(issued.certPem);
      if (source === 'storage' && next.serialNumber === current?.serialNumber) return;
      if (!next.cert.checkPrivateKey(createPrivateKey(issued.keyPem))) {
        throw new Error('the certificate and its key do not match');
      }
      if (source === 'order') await storage.saveCertificate(issued);
      await writeServing(issued);
      await server?.reloadCertificates();
      current = next;
      failures = 0;
      emit({
        type: 'certificate_installed',
        source,
        serialNumber: next.serialNumber,
        notAfter: next.notAfter,
        domains: config.domains,
      });
      schedule();
    });
    installing = run.catch(() => undefined);
    return run;
  };

  const due = (found: ReturnType<typeof facts>) =>
    renewalTime(found.notBefore, found.notAfter, config.renewAtFraction, 0).getTime() <= Date.now();
  /**
   * Under the storage's order lock (many instances): a certificate another instance saved since this
   * attempt began is taken instead of ordering again.
   */
  const obtain = async (): Promise<void> => {
    const serialBefore = current?.serialNumber;
    const run = async () => {
      const stored = await storage.loadCertificate();
      const found = usable(stored);
      if (found && found.serialNumber !== serialBefore && !due(found)) {
        if (found.serialNumber !== current?.serialNumber) await install(stored!, 'storage');
        return;
      }
      await install(await order(), 'order');
    };
    await (storage.withOrderLock ? storage.withOrderLock(run) : run());
  };
  /** Another instance saved a certificate: serve it when it is not the one we serve. */
  const onSaved = () => {
    void (async () => {
      const stored = await storage.loadCertificate();
      const found = usable(stored);
      // The storage holds the latest certificate saved by any instance: a different one is newer.
      if (!found || found.serialNumber === current?.serialNumber) return;
      await install(stored!, 'storage');
    })().catch((error: unknown) =>
      emit({ type: 'order_failed', message: `Loading the shared certificate failed: ${messageOf(error)}` }),
    );
  };
  let unwatch: (() => void) | undefined;

  const attempt = async (): Promise<boolean> => {
    try {
      await obtain();
      return true;
    } catch (error) {
      failures += 1;
      const retryInMs = retryDelay(failures, config.retryMinMs, config.retryMaxMs);
      const message = `ACME order for ${config.domains.join(', ')} failed: ${messageOf(error)}`;
      emit({ type: 'order_failed', message, retryInMs, ...(current ? { notAfter: current.notAfter } : {}) });
      if (current && current.notAfter.getTime() - Date.now() < config.warnBeforeMs) {
        emit({ type: 'expiring', notAfter: current.notAfter, serialNumber: current.serialNumber });
      }
      wait(retryInMs, () => void renewNow());
      return false;
    }
  };
  const renewNow = (): Promise<boolean> => {
    if (closed) return Promise.resolve(false);
    inFlight ??= attempt().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return {
    files,
    get certificate() {
      return current ? { serialNumber: current.serialNumber, notAfter: current.notAfter } : undefined;
    },
    get renewalAt() {
      return renewalAt;
    },
    async prepare() {
      const stored = await storage.loadCertificate();
      if (usable(stored)) {
        await writeServing(stored!);
        return files;
      }
      const ca = await createDevCa({
        commonName: 'restguard ACME placeholder',
        days: PLACEHOLDER_DAYS,
        hosts: config.domains,
      });
      await writeServing(
        await issueCertificate(ca, { usage: 'server', hosts: config.domains, days: PLACEHOLDER_DAYS }),
      );
      emit({ type: 'placeholder_installed', domains: config.domains });
      return files;
    },
    httpChallengeListener(next) {
      httpListenerMade = true;
      return httpChallengeListener(httpTokens, storage, next);
    },
    async start(httpsServer) {
      if (config.challenge === 'http-01' && !httpListenerMade) {
        throw new ConfigInvalidError(
          'challenge http-01 needs the plain-HTTP listener: serve manager.httpChallengeListener() on port 80, or choose tls-alpn-01.',
        );
      }
      server = httpsServer;
      unwatch ??= storage.watchCertificate?.(onSaved);
      if (config.challenge === 'tls-alpn-01') responder ??= attachTlsAlpnResponder(httpsServer);
      const stored = await storage.loadCertificate();
      const found = usable(stored);
      if (found) {
        await install(stored!, 'storage');
        return;
      }
      try {
        await new acme.Client({
          directoryUrl: config.directoryUrl,
          accountKey: await accountKey(),
        }).getTermsOfServiceUrl();
      } catch (cause) {
        throw new ConfigInvalidError(
          `The ACME directory ${config.directoryUrl} does not answer: ${messageOf(cause)}`,
          { cause },
        );
      }
      try {
        await obtain();
      } catch (cause) {
        throw new Error(`ACME order for ${config.domains.join(', ')} failed: ${messageOf(cause)}`, { cause });
      }
    },
    renewNow,
    close() {
      closed = true;
      clearTimeout(timer);
      unwatch?.();
      unwatch = undefined;
      responder?.detach();
      responder = undefined;
      httpTokens.clear();
    },
  };
}
