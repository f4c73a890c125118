/**
 * Where the ACME account key and the issued certificate live. The default is a directory created
 * `0700` whose files are written `0600`, atomically (a temporary file renamed into place).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** An issued certificate (full chain) and its private key, both PEM. */
export interface StoredCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

/** Persistence of one manager's account key and certificate. */
export interface AcmeStorage {
  /** The account's private key (PEM), if one was saved. */
  loadAccountKey(): Promise<string | undefined>;
  /** Saves the account key; shared storage keeps the first key saved (read it back after saving). */
  saveAccountKey(keyPem: string): Promise<void>;
  /** The last issued certificate, if any. */
  loadCertificate(): Promise<StoredCertificate | undefined>;
  /** Stores a newly issued certificate and its key. */
  saveCertificate(certificate: StoredCertificate): Promise<void>;
  /**
   * Many instances: runs `work` while holding a lock shared by every instance using this storage,
   * so one of them orders and the others find its certificate when they get the lock.
   */
  withOrderLock?<T>(work: () => Promise<T>): Promise<T>;
  /** Many instances: calls `listener` when another instance saved a certificate. Returns a stop function. */
  watchCertificate?(listener: () => void): () => void;
  /** Many instances: HTTP-01 key authorizations, so any instance behind a load balancer can answer. */
  saveChallenge?(token: string, keyAuthorization: string): Promise<void>;
  /** The key authorization stored for an HTTP-01 token, if any. */
  loadChallenge?(token: string): Promise<string | undefined>;
  /** Forgets an HTTP-01 token once its challenge is done. */
  deleteChallenge?(token: string): Promise<void>;
  /** Releases connections. */
  close?(): Promise<void>;
}

/** Creates `dir` (and parents) with mode 0700; an existing `dir` is narrowed to 0700. */
export async function ensurePrivateDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/** Writes `content` to `file` with mode 0600 through a temporary file and a rename. */
export async function writePrivateFile(file: string, content: string): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, content, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Storage in a directory: `account-key.pem`, `certificate.pem` (full chain) and
 * `certificate-key.pem`.
 * @example
 * const storage = createDirectoryStorage('/var/lib/notes/acme');
 */
export function createDirectoryStorage(dir: string): AcmeStorage {
  const file = (name: string) => path.join(dir, name);
  return {
    loadAccountKey: () => readOptional(file('account-key.pem')),
    async saveAccountKey(keyPem) {
      await ensurePrivateDirectory(dir);
      await writePrivateFile(file('account-key.pem'), keyPem);
    },
    async loadCertificate() {
      const [certPem, keyPem] = await Promise.all([
        readOptional(file('certificate.pem')),
        readOptional(file('certificate-key.pem')),
      ]);
      return certPem && keyPem ? { certPem, keyPem } : undefined;
    },
    async saveCertificate({ certPem, keyPem }) {
      await ensurePrivateDirectory(dir);
      await writePrivateFile(file('certificate-key.pem'), keyPem);
      await writePrivateFile(file('certificate.pem'), certPem);
    },
  };
}
