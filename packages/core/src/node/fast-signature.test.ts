// Differential test of the node:crypto signature step (RFC 7515 §5.2 step 8): over a large generated
// corpus — valid, tampered, wrong key, wrong algorithm, malformed and non-canonical signatures for
// every supported algorithm — it must accept and reject exactly what jose (`compactVerify`) does.
import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import { compactVerify, importJWK, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenDigest } from '../token/cache.js';
import { usableKey } from '../token/keys.js';
import { type JwsAlgorithm, SUPPORTED_ALGORITHMS } from '../token/options.js';
import { webCryptoSignatureVerifier } from '../token/signature.js';
import { defaultSignatureVerifier } from '../token/signature-default.js';
import { createNodeSignatureVerifier } from './fast-signature.js';

const ALGS: readonly JwsAlgorithm[] = SUPPORTED_ALGORITHMS;
const HASH: Record<string, string | null> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };
const ORDER: Record<string, bigint> = {
  ES256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  ES384: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  ES512:
    0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
};

/** Deterministic PRNG (mulberry32) so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Pair {
  priv: KeyObject;
  jwk: JWK;
}
/** PEM first, then KeyObjects (TOOLCHAIN.md: exporting a JWK from a fresh generated KeyObject can hang). */
function pair(type: 'rsa' | 'ec' | 'ed25519', options: Record<string, unknown> = {}): Pair {
  const pem = generateKeyPairSync(type as 'rsa', {
    ...(options as { modulusLength: number }),
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    priv: createPrivateKey(pem.privateKey),
    jwk: createPublicKey(pem.publicKey).export({ format: 'jwk' }) as JWK,
  };
}

const keyFamily = (alg: JwsAlgorithm) =>
  alg.startsWith('RS') || alg.startsWith('PS') ? 'RSA' : alg.startsWith('ES') ? alg : 'OKP';
let keys: Record<string, [Pair, Pair]>;
beforeAll(() => {
  keys = {
    RSA: [pair('rsa', { modulusLength: 2048 }), pair('rsa', { modulusLength: 2048 })],
    ES256: [pair('ec', { namedCurve: 'P-256' }), pair('ec', { namedCurve: 'P-256' })],
    ES384: [pair('ec', { namedCurve: 'P-384' }), pair('ec', { namedCurve: 'P-384' })],
    ES512: [pair('ec', { namedCurve: 'P-521' }), pair('ec', { namedCurve: 'P-521' })],
    OKP: [pair('ed25519'), pair('ed25519')],
  };
}, 60_000);

function rawSign(alg: JwsAlgorithm, key: KeyObject, input: Buffer, pssSalt?: number): Buffer {
  const hash = HASH[alg.slice(2)] ?? null;
  if (alg.startsWith('RS')) return sign(hash, input, key);
  if (alg.startsWith('PS')) {
    const saltLength = pssSalt ?? Number(alg.slice(2)) / 8;
    return sign(hash, input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
  }
  if (alg.startsWith('ES')) return sign(hash, input, { key, dsaEncoding: 'ieee-p1363' });
  return sign(null, input, key);
}

/** s → n − s: the other valid ECDSA signature (both libraries accept it or neither does). */
function highS(alg: JwsAlgorithm, sig: Buffer): Buffer {
  const half = sig.length / 2;
  const s = BigInt(`0x${sig.subarray(half).toString('hex')}`);
  const flipped = (ORDER[alg]! - s).toString(16).padStart(half * 2, '0');
  return Buffer.concat([sig.subarray(0, half), Buffer.from(flipped, 'hex')]);
}

interface Case {
  name: string;
  /** The algorithm in the header, and the one the verifying key is imported for. */
  alg: JwsAlgorithm;
  keyAlg: JwsAlgorithm;
  jwk: JWK;
  input: string;
  signature: Buffer;
}

function corpus(alg: JwsAlgorithm, random: () => number, messages: number): Case[] {
  const [mine, other] = keys[keyFamily(alg)]!;
  const out: Case[] = [];
  const sibling = ALGS.filter((a) => a !== alg && keyFamily(a) === keyFamily(alg));
  const foreign = ALGS.filter((a) => keyFamily(a) !== keyFamily(alg));
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  for (let i = 0; i < messages; i++) {
    const header = Buffer.from(JSON.stringify({ alg, kid: 'k1' })).toString('base64url');
    const body = Buffer.from(
      JSON.stringify({ sub: `user-${i}`, n: random(), pad: 'x'.repeat(Math.floor(random() * 300)) }),
    ).toString('base64url');
    const input = `${header}.${body}`;
    const sig = rawSign(alg, mine.priv, Buffer.from(input));
    const flip = (buf: Buffer) => {
      const copy = Buffer.from(buf);
      const at = Math.floor(random() * copy.length);
      copy[at]! ^= 1 << Math.floor(random() * 8);
      return copy;
    };
    const base = { alg, keyAlg: alg, jwk: mine.jwk, input };
    out.push({ ...base, name: 'valid', signature: sig });
    out.push({ ...base, name: 'tampered signature', signature: flip(sig) });
    const at = Math.floor(random() * body.length);
    const swapped = body[at] === 'A' ? 'B' : 'A';
    out.push({
      ...base,
      name: 'tampered payload',
      input: `${header}.${body.slice(0, at)}${swapped}${body.slice(at + 1)}`,
      signature: sig,
    });
    out.push({ ...base, name: 'wrong key', jwk: other.jwk, signature: sig });
    out.push({ ...base, name: 'truncated signature', signature: sig.subarray(0, sig.length - 1) });
    out.push({ ...base, name: 'extended signature', signature: Buffer.concat([sig, Buffer.from([0])]) });
    out.push({ ...base, name: 'zero signature', signature: Buffer.alloc(sig.length) });
    out.push({
      ...base,
      name: 'random signature',
      signature: Buffer.from(Array.from(sig, () => Math.floor(random() * 256))),
    });
    if (sibling.length > 0) {
      const wrong = pick(sibling);
      // Signed with a sibling algorithm on the same key material, presented as `alg`.
      out.push({
        ...base,
        name: `signed ${wrong}, presented ${alg}`,
        signature: rawSign(wrong, mine.priv, Buffer.from(input)),
      });
      // The key was imported for another algorithm than the token's.
      out.push({ ...base, name: `key imported for ${wrong}`, keyAlg: wrong, signature: sig });
    }
    const alien = pick(foreign);
    out.push({
      ...base,
      name: `key of ${alien}`,
      jwk: keys[keyFamily(alien)]![0].jwk,
      keyAlg: alien,
      signature: sig,
    });
    if (alg.startsWith('ES')) out.push({ ...base, name: 'high-S', signature: highS(alg, sig) });
    if (alg.startsWith('PS')) {
      out.push({ ...base, name: 'PSS salt 0', signature: rawSign(alg, mine.priv, Buffer.from(input), 0) });
      out.push({ ...base, name: 'PSS salt 20', signature: rawSign(alg, mine.priv, Buffer.from(input), 20) });
    }
  }
  return out;
}

async function joseAccepts(c: Case): Promise<boolean> {
  const token = `${c.input}.${c.signature.toString('base64url')}`;
  try {
    const key = await importJWK({ ...c.jwk, alg: c.keyAlg === 'Ed25519' ? 'Ed25519' : c.keyAlg }, c.keyAlg);
    await compactVerify(token, key, { algorithms: [c.alg] });
    return true;
  } catch {
    return false;
  }
}

async function stepAccepts(step: typeof webCryptoSignatureVerifier, c: Case): Promise<boolean> {
  // restguard only imports keys that pass its JWK filter for the algorithm (token/keys.ts).
  const jwk = usableKey(c.jwk, c.keyAlg);
  if (!jwk) return false;
  const key = await step.importKey(jwk, c.keyAlg).catch(() => null);
  if (key === null) return false;
  return step.verify(c.alg, key, new TextEncoder().encode(c.input), new Uint8Array(c.signature));
}

describe('node:crypto signature step vs jose', () => {
  it.each(ALGS)(
    '%s: same verdict as jose on every case of the corpus',
    async (alg) => {
      const seed = 0x5eed ^ ALGS.indexOf(alg);
      const cases = corpus(alg, prng(seed), 40);
      const node = createNodeSignatureVerifier();
      // The runtime default on Node.js is the same step, reached through process.getBuiltinModule.
      const runtimeDefault = defaultSignatureVerifier();
      expect(runtimeDefault).not.toBe(webCryptoSignatureVerifier);
      const mismatches: string[] = [];
      let accepted = 0;
      for (const c of cases) {
        const [reference, fast, auto] = await Promise.all([
          joseAccepts(c),
          stepAccepts(node, c),
          stepAccepts(runtimeDefault, c),
        ]);
        if (reference) accepted++;
        if (reference !== fast) mismatches.push(`${c.name}: jose ${reference}, node ${fast} (seed ${seed})`);
        if (reference !== auto)
          mismatches.push(`${c.name}: jose ${reference}, default ${auto} (seed ${seed})`);
      }
      expect(mismatches).toEqual([]);
      // The corpus really exercises both answers (valid cases pass, mutations fail).
      expect(accepted).toBeGreaterThanOrEqual(40);
      expect(cases.length - accepted).toBeGreaterThanOrEqual(40 * 8);
    },
    120_000,
  );

  it('the default Web Crypto step agrees with jose on the same corpus (the baseline is sound)', async () => {
    for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA'] as const) {
      for (const c of corpus(alg, prng(7), 10)) {
        expect(`${c.name}: ${await stepAccepts(webCryptoSignatureVerifier, c)}`).toBe(
          `${c.name}: ${await joseAccepts(c)}`,
        );
      }
    }
  }, 120_000);

  it('refuses keys it did not import and never throws', async () => {
    const node = createNodeSignatureVerifier();
    const input = new TextEncoder().encode('a.b');
    for (const key of [null, undefined, {}, 'key', { alg: 'RS256', key: 'not a KeyObject' }]) {
      await expect(node.verify('RS256', key, input, new Uint8Array(256))).resolves.toBe(false);
    }
  });

  it('imports each JWK once per algorithm and refuses a JWK that Web Crypto refuses', async () => {
    const node = createNodeSignatureVerifier();
    const jwk = usableKey(keys.ES256![0].jwk, 'ES256')!;
    expect(await node.importKey(jwk, 'ES256')).toBe(await node.importKey({ ...jwk }, 'ES256'));
    await expect(node.importKey({ ...jwk, x: jwk.x!.slice(0, 20) }, 'ES256')).rejects.toBeDefined();
    await expect(
      webCryptoSignatureVerifier.importKey({ ...jwk, x: jwk.x!.slice(0, 20) }, 'ES256'),
    ).rejects.toBeDefined();
  });

  it('computes the verified-token cache key exactly as the default Web Crypto digest', async () => {
    const node = createNodeSignatureVerifier();
    const random = prng(99);
    const tokens = ['', 'a.b.c', '\ud800', '🔑'.repeat(50)];
    for (let i = 0; i < 300; i++)
      tokens.push(
        Array.from({ length: Math.floor(random() * 2000) }, () =>
          String.fromCharCode(32 + Math.floor(random() * 95)),
        ).join(''),
      );
    const runtimeDefault = defaultSignatureVerifier() as typeof node;
    for (const token of tokens) {
      const expected = await tokenDigest(token);
      expect(node.tokenDigest(token)).toBe(expected);
      expect(runtimeDefault.tokenDigest(token)).toBe(expected);
    }
  });
});
