/**
 * Sealing: authenticated encryption of small JSON payloads into compact JWEs (RFC 7516 §7.1,
 * `alg: dir`, `enc: A256GCM`, RFC 7518 §5.3) with keys derived from secrets by HKDF (RFC 5869).
 *
 * Each purpose (`session`, `transaction`) gets its own key from every secret, so one kind of cookie
 * can never be opened as the other. The `kid` header names the secret (derived, not the secret), so
 * opening picks the key directly. The first secret seals; every secret opens (rotation).
 */
import { base64url, EncryptJWT, type JWTPayload, jwtDecrypt } from 'jose';

/**
 * What a sealed payload is for; each purpose has its own keys.
 * @example
 * const purpose: SealPurpose = 'session';
 */
export type SealPurpose = 'session' | 'transaction';

/**
 * Seals and opens payloads for one purpose.
 * @example
 * const sealer: Sealer = createSealer(secrets, 'session');
 */
export interface Sealer {
  /** Encrypts `payload`, valid until `expiresAt` (seconds since the epoch). */
  seal(payload: JWTPayload, expiresAt: number): Promise<string>;
  /** The payload, or null when the value is tampered, expired, sealed for another purpose or unknown key. */
  open(sealed: string): Promise<JWTPayload | null>;
}

const encoder = new TextEncoder();

async function derive(secret: string, info: string): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, [
    'deriveBits',
  ]);
  const bits = await crypto.subtle.deriveBits(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: encoder.encode('restguard/session/v1'),
      info: encoder.encode(info),
    },
    material,
    256,
  );
  return new Uint8Array(bits);
}

/**
 * Creates a {@link Sealer} for one purpose from a list of secrets (the first seals, all open).
 * @example
 * const sealer = createSealer(['a-secret-of-at-least-thirty-two-chars'], 'session');
 * const value = await sealer.seal({ sub: 'alice' }, Math.floor(Date.now() / 1000) + 3600);
 * await sealer.open(value); // { sub: 'alice', iat, exp, aud: 'restguard:session' }
 */
export function createSealer(
  secrets: readonly string[],
  purpose: SealPurpose,
  clock: () => number = Date.now,
): Sealer {
  const audience = `restguard:${purpose}`;
  const keys = Promise.all(
    secrets.map(async (secret) => ({
      kid: base64url.encode((await derive(secret, `${purpose}:kid`)).slice(0, 12)),
      key: await derive(secret, `${purpose}:key`),
    })),
  );
  return {
    async seal(payload, expiresAt) {
      const [current] = await keys;
      return new EncryptJWT(payload)
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: current!.kid })
        .setAudience(audience)
        .setIssuedAt(Math.floor(clock() / 1000))
        .setExpirationTime(expiresAt)
        .encrypt(current!.key);
    },
    async open(sealed) {
      if (sealed.length > 65_536 || sealed.split('.').length !== 5) return null;
      const all = await keys;
      try {
        const { payload } = await jwtDecrypt(
          sealed,
          (header) => {
            const found = all.find((entry) => entry.kid === header.kid);
            if (!found) throw new Error('unknown key');
            return found.key;
          },
          {
            audience,
            keyManagementAlgorithms: ['dir'],
            contentEncryptionAlgorithms: ['A256GCM'],
            requiredClaims: ['exp', 'iat'],
            currentDate: new Date(clock()),
          },
        );
        return payload;
      } catch {
        return null;
      }
    },
  };
}
