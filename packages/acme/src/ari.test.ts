import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDevCa, issueCertificate } from '@restguard/core/node';
import { describe, expect, it } from 'vitest';
import { ariCertificateId, ariRenewalTime, parseRetryAfter } from './ari.js';

// RFC 9773 Appendix A: AKI keyIdentifier 69:88:5B:…:C8:D4, serial 00:87:65:43:21.
const RFC_EXAMPLE = `-----BEGIN CERTIFICATE-----
MIIBQzCB66ADAgECAgUAh2VDITAKBggqhkjOPQQDAjAVMRMwEQYDVQQDEwpFeGFt
cGxlIENBMCIYDzAwMDEwMTAxMDAwMDAwWhgPMDAwMTAxMDEwMDAwMDBaMBYxFDAS
BgNVBAMTC2V4YW1wbGUuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEeBZu
7cbpAYNXZLbbh8rNIzuOoqOOtmxA1v7cRm//AwyMwWxyHz4zfwmBhcSrf47NUAFf
qzLQ2PPQxdTXREYEnKMjMCEwHwYDVR0jBBgwFoAUaYhba4dGQEHhs3uEe6CuLN4B
yNQwCgYIKoZIzj0EAwIDRwAwRAIge09+S5TZAlw5tgtiVvuERV6cT4mfutXIlwTb
+FYN/8oCIClDsqBklhB9KAelFiYt9+6FDj3z4KGVelYM5MdsO3pK
-----END CERTIFICATE-----
`;

/** The DER content bytes of a positive serial given as hex (as node:crypto prints it). */
function serialBytes(hex: string): Buffer {
  const even = hex.length % 2 ? `0${hex}` : hex;
  let bytes = Buffer.from(even, 'hex');
  while (bytes.length > 1 && bytes[0] === 0 && bytes[1]! < 0x80) bytes = bytes.subarray(1);
  return bytes[0]! >= 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
}

/** The AKI keyIdentifier as OpenSSL prints it (an independent parser). */
function opensslAki(certPem: string): Buffer {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'rg-ari-')), 'cert.pem');
  writeFileSync(file, certPem);
  const text = execFileSync('openssl', ['x509', '-in', file, '-noout', '-ext', 'authorityKeyIdentifier'], {
    encoding: 'utf8',
  });
  const hex = /([0-9A-F]{2}(?::[0-9A-F]{2})+)/i.exec(text)?.[1];
  if (!hex) throw new Error(`no AKI in: ${text}`);
  return Buffer.from(hex.replaceAll(':', ''), 'hex');
}

describe('ariCertificateId (RFC 9773 §4.1)', () => {
  it('gives the RFC example identifier, keeping the serial’s leading zero byte', () => {
    expect(ariCertificateId(RFC_EXAMPLE)).toBe('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
  });

  it('matches the AKI and serial computed independently for certificates of the dev CA', async () => {
    const ca = await createDevCa({ commonName: 'ari test CA', days: 1 });
    for (let i = 0; i < 3; i++) {
      const leaf = await issueCertificate(ca, { usage: 'server', hosts: ['ari.restguard.test'], days: 1 });
      const cert = new X509Certificate(leaf.certPem);
      const expected = `${opensslAki(leaf.certPem).toString('base64url')}.${serialBytes(cert.serialNumber).toString('base64url')}`;
      expect(ariCertificateId(leaf.certPem)).toBe(expected);
      expect(ariCertificateId(cert)).toBe(expected);
      expect(expected).not.toContain('=');
    }
  });

  it('refuses a certificate without an Authority Key Identifier', async () => {
    const ca = await createDevCa({ commonName: 'ari test CA', days: 1 });
    expect(() => ariCertificateId(ca.certPem)).toThrow(/Authority Key Identifier/);
    expect(() => ariCertificateId('not a certificate')).toThrow();
  });
});

describe('renewal window and Retry-After', () => {
  it('picks a time inside the window', () => {
    const window = { start: new Date('2026-03-01T00:00:00Z'), end: new Date('2026-03-03T00:00:00Z') };
    expect(ariRenewalTime(window, () => 0)).toEqual(window.start);
    expect(ariRenewalTime(window, () => 0.5)).toEqual(new Date('2026-03-02T00:00:00Z'));
    const late = ariRenewalTime(window, () => 0.999_999_999);
    expect(late <= window.end && late > window.start).toBe(true);
  });

  it('reads delta-seconds and HTTP-dates', () => {
    const now = Date.parse('2026-03-01T00:00:00Z');
    expect(parseRetryAfter('21600', now)).toBe(21_600_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
