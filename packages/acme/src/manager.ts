/**
 * The ACME manager (RFC 8555): creates or reuses an account, orders a certificate for the
 * configured names, answers the challenge (HTTP-01 §8.3 on the plain-HTTP listener, TLS-ALPN-01
 * RFC 8737 on the HTTPS port), installs the certificate through the HTTPS server's hot-reload path
 * (`reloadCertificates`: new connections get it, open ones keep theirs) and renews it before expiry:
 * inside the CA's suggested window when the directory offers renewal information (RFC 9773 §4.2,
 * with `replaces` in the renewal's newOrder, §5), else at the configured point of the lifetime.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { RequestListener } from 'node:http';
import path from 'node:path';
import { ConfigInvalidError } from '@restguard/core';
import { createDevCa, issueCertificate, type ManagedHttpsServer, type TlsFiles } from '@restguard/core/node';
import * as acme from 'acme-client';
import { ariCertificateId, ariRenewalTime, fetchRenewalInfo } from './ari.js';
import { type AcmeOptions, type ResolvedAcmeOptions, resolveAcmeOptions } from './config.js';
import { type AcmeEvent, renewalTime, retryDelay } from './events.js';
import { httpChallengeListener } from './http-challenge.js';
import {
  type AcmeStorage,
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

/** A certificate's facts: serial, validity and the parsed certificate. */
type CertificateFacts = ReturnType<typeof facts>;

/** Everything one manager knows and changes; the steps below take it as their first argument. */
interface ManagerState {
  readonly config: ResolvedAcmeOptions;
  readonly storage: AcmeStorage;
  readonly files: TlsFiles;
  /** HTTP-01 tokens → key authorizations, answered by {@link httpChallengeListener}. */
  readonly httpTokens: Map<string, string>;
  httpListenerMade: boolean;
  responder: TlsAlpnResponder | undefined;
  server: ManagedHttpsServer | undefined;
  current: CertificateFacts | undefined;
  renewalAt: Date | undefined;
  timer: NodeJS.Timeout | undefined;
  pollTimer: NodeJS.Timeout | undefined;
  /** The time chosen inside the CA's window for the current certificate (kept while it stays inside). */
  ariChoice: { serialNumber: string; at: Date } | undefined;
  /** The CA refused `replaces` for this certificate once: order without it (e.g. alreadyReplaced). */
  replacesRefusedFor: string | undefined;
  failures: number;
  inFlight: Promise<boolean> | undefined;
  closed: boolean;
  /** The directory object, read once it answered; its URLs' origins get the directory's transport. */
  directoryRead: Promise<Record<string, unknown>> | undefined;
  directoryBody: Record<string, unknown> | undefined;
  /** One install at a time (an order and another instance's NOTIFY may both bring one). */
  installing: Promise<unknown>;
  unwatch: (() => void) | undefined;
}

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
  const state = createManagerState(options);
  return {
    files: state.files,
    get certificate() {
      const { current } = state;
      return current ? { serialNumber: current.serialNumber, notAfter: current.notAfter } : undefined;
    },
    get renewalAt() {
      return state.renewalAt;
    },
    prepare: () => prepare(state),
    httpChallengeListener(next) {
      state.httpListenerMade = true;
      return httpChallengeListener(state.httpTokens, state.storage, next);
    },
    start: (httpsServer) => start(state, httpsServer),
    renewNow: () => renewNow(state),
    close: () => close(state),
  };
}

/** Checks the options, picks the storage and gives the directory's origin its transport. */
function createManagerState(options: AcmeOptions): ManagerState {
  const config: ResolvedAcmeOptions = resolveAcmeOptions(options);
  const storage = config.storage ?? createDirectoryStorage(config.directory);
  manageDirectory(config.directoryUrl, config.directoryCa);
  return {
    config,
    storage,
    files: {
      certFile: path.join(config.directory, 'serving-cert.pem'),
      keyFile: path.join(config.directory, 'serving-key.pem'),
    },
    httpTokens: new Map(),
    httpListenerMade: false,
    responder: undefined,
    server: undefined,
    current: undefined,
    renewalAt: undefined,
    timer: undefined,
    pollTimer: undefined,
    ariChoice: undefined,
    replacesRefusedFor: undefined,
    failures: 0,
    inFlight: undefined,
    closed: false,
    directoryRead: undefined,
    directoryBody: undefined,
    installing: Promise.resolve(),
    unwatch: undefined,
  };
}

function emit(state: ManagerState, event: AcmeEvent): void {
  try {
    state.config.onEvent?.(event);
  } catch {
    // a listener's failure never stops the manager
  }
}

/** The stored certificate's facts when it covers every domain and has not expired. */
function usable(state: ManagerState, stored: StoredCertificate | undefined): CertificateFacts | undefined {
  if (!stored) return undefined;
  try {
    const found = facts(stored.certPem);
    const covers = state.config.domains.every((domain) => found.cert.checkHost(domain) !== undefined);
    return covers && found.notAfter.getTime() > Date.now() ? found : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the pair the HTTPS server serves (key first, both 0600). */
async function writeServing(state: ManagerState, pair: StoredCertificate): Promise<void> {
  await ensurePrivateDirectory(state.config.directory);
  await writePrivateFile(state.files.keyFile, pair.keyPem);
  await writePrivateFile(state.files.certFile, pair.certPem);
}

/** Runs `run` after `ms` (longer than a timer allows: in steps), replacing the pending one. */
function wait(state: ManagerState, ms: number, run: () => void): void {
  clearTimeout(state.timer);
  if (state.closed) return;
  state.timer = setTimeout(
    () => (ms > MAX_TIMER_MS ? wait(state, ms - MAX_TIMER_MS, run) : run()),
    Math.min(ms, MAX_TIMER_MS),
  );
  state.timer.unref();
}

function renewAt(state: ManagerState, at: Date): void {
  state.renewalAt = at;
  // While an order is failing, its backoff decides the next attempt (RFC 9773 §4.2).
  if (state.failures === 0) wait(state, Math.max(0, at.getTime() - Date.now()), () => void renewNow(state));
}

/** The configured point of the current certificate's lifetime, with jitter. */
function scheduleLifetime(state: ManagerState): void {
  const { current, config } = state;
  if (!current) return;
  const at = renewalTime(
    current.notBefore,
    current.notAfter,
    config.renewAtFraction,
    config.renewJitterFraction,
  );
  renewAt(state, at);
  emit(state, { type: 'renewal_scheduled', at, source: 'lifetime' });
}

/** The directory object (read once; a failure is retried on the next call). */
function readDirectory(state: ManagerState): Promise<Record<string, unknown>> {
  const { config } = state;
  state.directoryRead ??= (async () => {
    const response = await acme.axios.get(config.directoryUrl, { timeout: 10_000 });
    const body = response.data as Record<string, unknown>;
    if (typeof body !== 'object' || body === null) throw new Error('the directory is not a JSON object');
    for (const value of Object.values(body)) {
      if (typeof value !== 'string' || !/^https?:\/\//.test(value)) continue;
      try {
        manageDirectory(value, config.directoryCa);
      } catch {
        // not a URL: nothing to manage
      }
    }
    state.directoryBody = body;
    return body;
  })();
  state.directoryRead.catch(() => {
    state.directoryRead = undefined;
  });
  return state.directoryRead;
}

async function renewalInfoUrl(state: ManagerState): Promise<string | undefined> {
  if (!state.config.ariPoll) return undefined;
  const url = (await readDirectory(state)).renewalInfo;
  return typeof url === 'string' ? url : undefined;
}

/** Polls the renewal information of `cert` again after `ms`, unless it is no longer served. */
function pollAgain(state: ManagerState, cert: CertificateFacts, ms: number): void {
  clearTimeout(state.pollTimer);
  if (state.closed || state.current !== cert) return;
  state.pollTimer = setTimeout(() => void pollRenewalInfo(state, cert), Math.min(ms, MAX_TIMER_MS));
  state.pollTimer.unref();
}

/**
 * RFC 9773 §4.2–4.3: fetches the renewal information of `cert` (the one served), renews at a
 * random time inside the suggested window and polls again after `Retry-After`. Without ARI at the
 * CA, the lifetime rule; when the request fails, the lifetime rule (or the time already chosen
 * in an earlier window) and another poll after `pollOnErrorMs`.
 */
async function pollRenewalInfo(state: ManagerState, cert: CertificateFacts): Promise<void> {
  const poll = state.config.ariPoll;
  const stillCurrent = () => !state.closed && state.current === cert;
  let url: string | undefined;
  let id: string | undefined;
  try {
    url = await renewalInfoUrl(state);
    if (url) id = ariCertificateId(cert.cert);
  } catch (error) {
    if (!stillCurrent()) return;
    if (!state.ariChoice) scheduleLifetime(state);
    if (poll) {
      emit(state, { type: 'renewal_info_failed', message: messageOf(error), retryInMs: poll.onErrorMs });
      pollAgain(state, cert, poll.onErrorMs);
    }
    return;
  }
  if (!stillCurrent()) return;
  // Never after expiry (RFC 9773 §4.3): the renewal is due anyway.
  if (!url || !id || !poll || cert.notAfter.getTime() <= Date.now()) {
    scheduleLifetime(state);
    return;
  }
  try {
    const info = await fetchRenewalInfo(url, id);
    if (stillCurrent()) scheduleInsideWindow(state, cert, info, poll);
  } catch (error) {
    if (!stillCurrent()) return;
    if (state.ariChoice?.serialNumber !== cert.serialNumber) scheduleLifetime(state);
    emit(state, {
      type: 'renewal_info_failed',
      message: `Renewal information for ${id}: ${messageOf(error)}`,
      retryInMs: poll.onErrorMs,
    });
    pollAgain(state, cert, poll.onErrorMs);
  }
}

/** Renews at a time inside the CA's window (the one already chosen while it stays inside). */
function scheduleInsideWindow(
  state: ManagerState,
  cert: CertificateFacts,
  info: Awaited<ReturnType<typeof fetchRenewalInfo>>,
  poll: Exclude<ResolvedAcmeOptions['ariPoll'], false | undefined>,
): void {
  const window = info.suggestedWindow;
  const chosen = state.ariChoice;
  const kept =
    chosen?.serialNumber === cert.serialNumber && chosen.at >= window.start && chosen.at <= window.end;
  const at = kept ? chosen!.at : ariRenewalTime(window);
  state.ariChoice = { serialNumber: cert.serialNumber, at };
  renewAt(state, at);
  emit(state, {
    type: 'renewal_scheduled',
    at,
    source: 'ari',
    window,
    ...(info.explanationURL ? { explanationURL: info.explanationURL } : {}),
  });
  pollAgain(
    state,
    cert,
    info.retryAfterMs === undefined
      ? poll.onErrorMs
      : Math.min(poll.maxMs, Math.max(poll.minMs, info.retryAfterMs)),
  );
}

/** Schedules the renewal of the current certificate: from the CA's renewal information, else its lifetime. */
function schedule(state: ManagerState): void {
  const { current, config, directoryBody } = state;
  if (!current) return;
  clearTimeout(state.pollTimer);
  if (!config.ariPoll || (directoryBody && typeof directoryBody.renewalInfo !== 'string')) {
    scheduleLifetime(state);
    return;
  }
  void pollRenewalInfo(state, current);
}

/** The account key: the stored one, else a new P-256 key (shared storage keeps the first saved). */
async function accountKey(state: ManagerState): Promise<string> {
  const stored = await state.storage.loadAccountKey();
  if (stored) return stored;
  const created = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
  await state.storage.saveAccountKey(created);
  // Shared storage keeps the first key saved by any instance.
  return (await state.storage.loadAccountKey()) ?? created;
}

async function createClient(state: ManagerState): Promise<acme.Client> {
  const { config } = state;
  return new acme.Client({
    directoryUrl: config.directoryUrl,
    accountKey: await accountKey(state),
    backoffMin: config.pollIntervalMs,
    backoffMax: config.pollIntervalMs * 4,
    backoffAttempts: 30,
  });
}

/** RFC 9773 §5: the ARI identifier of the certificate this order replaces, when the CA offers ARI. */
async function replacesId(state: ManagerState): Promise<string | undefined> {
  const { current } = state;
  if (!current || state.replacesRefusedFor === current.serialNumber) return undefined;
  try {
    return (await renewalInfoUrl(state)) ? ariCertificateId(current.cert) : undefined;
  } catch {
    return undefined;
  }
}

/** Sends `replaces` in the client's newOrder; a refusal makes the next attempt order without it. */
function sendReplaces(state: ManagerState, acmeClient: acme.Client, replaces: string): void {
  // acme-client's auto() builds the newOrder payload itself; its createOrder sends what it gets.
  const createOrder = acmeClient.createOrder.bind(acmeClient);
  const replacing = state.current!.serialNumber;
  acmeClient.createOrder = (data) =>
    createOrder({ ...data, replaces } as typeof data).catch((error: unknown) => {
      // e.g. alreadyReplaced (HTTP 409): the next attempt orders without `replaces`.
      state.replacesRefusedFor = replacing;
      throw error;
    });
}

/** Orders a certificate for the configured domains and checks that it covers them. */
async function order(state: ManagerState): Promise<StoredCertificate> {
  const { config } = state;
  await readDirectory(state);
  const acmeClient = await createClient(state);
  const replaces = await replacesId(state);
  if (replaces) sendReplaces(state, acmeClient, replaces);
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
    challengeCreateFn: (authz, challenge, keyAuthorization) =>
      answerChallenge(state, authz, challenge, keyAuthorization),
    challengeRemoveFn: (authz, challenge) => withdrawChallenge(state, authz, challenge),
  });
  const issued = { certPem: certPem.toString(), keyPem: keyPem.toString() };
  if (!usable(state, issued))
    throw new Error('the CA returned a certificate that does not cover the configured domains');
  return issued;
}

type Authorization = Parameters<acme.ClientAutoOptions['challengeCreateFn']>[0];
type Challenge = Parameters<acme.ClientAutoOptions['challengeCreateFn']>[1];

/** HTTP-01 (RFC 8555 §8.3): the token's key authorization; TLS-ALPN-01 (RFC 8737 §3): its certificate. */
async function answerChallenge(
  state: ManagerState,
  authz: Authorization,
  challenge: Challenge,
  keyAuthorization: string,
): Promise<void> {
  const { config } = state;
  if (challenge.type !== config.challenge) {
    throw new Error(`the CA offers no ${config.challenge} challenge for ${authz.identifier.value}`);
  }
  if (challenge.type === 'http-01') {
    state.httpTokens.set(challenge.token, keyAuthorization);
    await state.storage.saveChallenge?.(challenge.token, keyAuthorization);
  } else {
    const [alpnKey, alpnCert] = await acme.crypto.createAlpnCertificate(
      authz,
      keyAuthorization,
      await acme.crypto.createPrivateEcdsaKey('P-256'),
    );
    state.responder?.set(authz.identifier.value, alpnCert.toString(), alpnKey.toString());
  }
}

async function withdrawChallenge(
  state: ManagerState,
  authz: Authorization,
  challenge: Challenge,
): Promise<void> {
  if (challenge.type === 'http-01') {
    state.httpTokens.delete(challenge.token);
    await state.storage.deleteChallenge?.(challenge.token).catch(() => undefined);
  } else state.responder?.delete(authz.identifier.value);
}

/**
 * One install at a time (an order and another instance's NOTIFY may both bring one). The pair is
 * checked first, so the server's reload cannot refuse it; its answer is then not needed (false
 * also means the file watcher took the new files first).
 */
function install(state: ManagerState, issued: StoredCertificate, source: 'order' | 'storage'): Promise<void> {
  const run = state.installing.then(async () => {
    const next = facts(issued.certPem);
    if (source === 'storage' && next.serialNumber === state.current?.serialNumber) return;
    if (!next.cert.checkPrivateKey(createPrivateKey(issued.keyPem))) {
      throw new Error('the certificate and its key do not match');
    }
    if (source === 'order') await state.storage.saveCertificate(issued);
    await writeServing(state, issued);
    await state.server?.reloadCertificates();
    state.current = next;
    state.failures = 0;
    state.ariChoice = undefined;
    emit(state, {
      type: 'certificate_installed',
      source,
      serialNumber: next.serialNumber,
      notAfter: next.notAfter,
      domains: state.config.domains,
    });
    schedule(state);
  });
  state.installing = run.catch(() => undefined);
  return run;
}

function due(state: ManagerState, found: CertificateFacts): boolean {
  const { config } = state;
  return renewalTime(found.notBefore, found.notAfter, config.renewAtFraction, 0).getTime() <= Date.now();
}

/**
 * Under the storage's order lock (many instances): a certificate another instance saved since this
 * attempt began is taken instead of ordering again.
 */
async function obtain(state: ManagerState): Promise<void> {
  const { storage } = state;
  const serialBefore = state.current?.serialNumber;
  const run = async () => {
    const stored = await storage.loadCertificate();
    const found = usable(state, stored);
    if (found && found.serialNumber !== serialBefore && !due(state, found)) {
      if (found.serialNumber !== state.current?.serialNumber) await install(state, stored!, 'storage');
      return;
    }
    await install(state, await order(state), 'order');
  };
  await (storage.withOrderLock ? storage.withOrderLock(run) : run());
}

/** Another instance saved a certificate: serve it when it is not the one we serve. */
function onSaved(state: ManagerState): void {
  void (async () => {
    const stored = await state.storage.loadCertificate();
    const found = usable(state, stored);
    // The storage holds the latest certificate saved by any instance: a different one is newer.
    if (!found || found.serialNumber === state.current?.serialNumber) return;
    await install(state, stored!, 'storage');
  })().catch((error: unknown) =>
    emit(state, {
      type: 'order_failed',
      message: `Loading the shared certificate failed: ${messageOf(error)}`,
    }),
  );
}

/** One order attempt; a failure is reported and retried with backoff. */
async function attempt(state: ManagerState): Promise<boolean> {
  const { config } = state;
  try {
    await obtain(state);
    return true;
  } catch (error) {
    state.failures += 1;
    const { current } = state;
    const retryInMs = retryDelay(state.failures, config.retryMinMs, config.retryMaxMs);
    const message = `ACME order for ${config.domains.join(', ')} failed: ${messageOf(error)}`;
    emit(state, {
      type: 'order_failed',
      message,
      retryInMs,
      ...(current ? { notAfter: current.notAfter } : {}),
    });
    if (current && current.notAfter.getTime() - Date.now() < config.warnBeforeMs) {
      emit(state, { type: 'expiring', notAfter: current.notAfter, serialNumber: current.serialNumber });
    }
    wait(state, retryInMs, () => void renewNow(state));
    return false;
  }
}

function renewNow(state: ManagerState): Promise<boolean> {
  if (state.closed) return Promise.resolve(false);
  state.inFlight ??= attempt(state).finally(() => {
    state.inFlight = undefined;
  });
  return state.inFlight;
}

/** The stored certificate when usable, else a short-lived self-signed placeholder. */
async function prepare(state: ManagerState): Promise<TlsFiles> {
  const { config, files } = state;
  const stored = await state.storage.loadCertificate();
  if (usable(state, stored)) {
    await writeServing(state, stored!);
    return files;
  }
  const ca = await createDevCa({
    commonName: 'restguard ACME placeholder',
    days: PLACEHOLDER_DAYS,
    hosts: config.domains,
  });
  await writeServing(
    state,
    await issueCertificate(ca, { usage: 'server', hosts: config.domains, days: PLACEHOLDER_DAYS }),
  );
  emit(state, { type: 'placeholder_installed', domains: config.domains });
  return files;
}

async function start(state: ManagerState, httpsServer: ManagedHttpsServer): Promise<void> {
  const { config, storage } = state;
  if (config.challenge === 'http-01' && !state.httpListenerMade) {
    throw new ConfigInvalidError(
      'challenge http-01 needs the plain-HTTP listener: serve manager.httpChallengeListener() on port 80, or choose tls-alpn-01.',
    );
  }
  state.server = httpsServer;
  state.unwatch ??= storage.watchCertificate?.(() => onSaved(state));
  if (config.challenge === 'tls-alpn-01') state.responder ??= attachTlsAlpnResponder(httpsServer);
  const stored = await storage.loadCertificate();
  if (usable(state, stored)) {
    await install(state, stored!, 'storage');
    return;
  }
  await checkDirectoryAnswers(state);
  try {
    await obtain(state);
  } catch (cause) {
    throw new Error(`ACME order for ${config.domains.join(', ')} failed: ${messageOf(cause)}`, { cause });
  }
}

/** Before the first order: a directory that does not answer is a configuration error. */
async function checkDirectoryAnswers(state: ManagerState): Promise<void> {
  const { config } = state;
  try {
    await readDirectory(state);
    await new acme.Client({
      directoryUrl: config.directoryUrl,
      accountKey: await accountKey(state),
    }).getTermsOfServiceUrl();
  } catch (cause) {
    throw new ConfigInvalidError(
      `The ACME directory ${config.directoryUrl} does not answer: ${messageOf(cause)}`,
      { cause },
    );
  }
}

function close(state: ManagerState): void {
  state.closed = true;
  clearTimeout(state.timer);
  clearTimeout(state.pollTimer);
  state.unwatch?.();
  state.unwatch = undefined;
  state.responder?.detach();
  state.responder = undefined;
  state.httpTokens.clear();
}
