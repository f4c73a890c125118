import { createHash, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDevCa, issueCertificate } from '../node/x509.js';
import { readCertificateNames } from './der.js';
import { type ClientCertificateRule, createMemoryClientCertificateStore } from './store.js';
import { createClientCertificateVerifier } from './verifier.js';

const ca = await createDevCa({ commonName: 'test client CA', days: 1, hosts: ['svc.example.com'] });
const client = await issueCertificate(ca, { usage: 'client', commonName: 'machine, "one"', days: 1 });
const server = await issueCertificate(ca, {
  usage: 'server',
  hosts: ['svc.example.com', '192.0.2.7'],
  days: 1,
});
const der = (pem: string) => new Uint8Array(new X509Certificate(pem).raw);
const thumbprint = (pem: string) =>
  createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');

const rule = (over: Partial<ClientCertificateRule>): ClientCertificateRule => ({
  id: `cert_${Math.random().toString(36).slice(2)}`,
  name: 'billing',
  match: 'thumbprint',
  value: '',
  permissions: ['read'],
  createdAt: new Date(),
  revokedAt: null,
  ...over,
});

describe('readCertificateNames', () => {
  it('reads the subject (RFC 4514, escaped, last RDN first) and typed SANs', () => {
    expect(readCertificateNames(der(client.certPem))).toEqual({
      subject: 'CN=machine\\, \\"one\\"',
      subjectAltNames: [],
    });
    const names = readCertificateNames(der(server.certPem));
    expect(names.subjectAltNames).toEqual(['dns:svc.example.com', 'ip:192.0.2.7']);
    // Node lists the same attributes, first RDN first.
    const node = new X509Certificate(ca.certPem).subject.split('\n').reverse().join(',');
    expect(readCertificateNames(der(ca.certPem)).subject).toBe(node);
  });
  it('refuses what is not a certificate', () => {
    expect(() => readCertificateNames(new Uint8Array([0x30, 0x05, 1, 2]))).toThrow();
  });
});

describe('createClientCertificateVerifier', () => {
  it('maps a certificate to the most specific active rule', async () => {
    const store = createMemoryClientCertificateStore();
    await store.insert(
      rule({ name: 'by-subject', match: 'subject', value: 'CN=restguard development server' }),
    );
    await store.insert(
      rule({ name: 'by-san', match: 'san', value: 'dns:svc.example.com', permissions: ['read', 'write'] }),
    );
    const verifier = createClientCertificateVerifier({ store });
    const principal = await verifier.verify(der(server.certPem));
    expect(principal).toMatchObject({ kind: 'clientCertificate', subject: 'by-san' });
    expect([...principal.scopes]).toEqual(['read', 'write']);
    expect(principal.clientCertificate).toMatchObject({
      match: 'san',
      thumbprint: thumbprint(server.certPem),
    });
    await store.insert(rule({ name: 'by-thumbprint', value: thumbprint(server.certPem) }));
    expect((await verifier.verify(der(server.certPem))).subject).toBe('by-thumbprint');
  });

  it('refuses an unknown or revoked certificate (401 invalid_token) and a failing store (503)', async () => {
    const store = createMemoryClientCertificateStore();
    const allowed = rule({ value: thumbprint(client.certPem) });
    await store.insert(allowed);
    const verifier = createClientCertificateVerifier({ store });
    await expect(verifier.verify(der(server.certPem))).rejects.toMatchObject({ code: 'ERR_TOKEN_INVALID' });
    await store.revoke(allowed.id, new Date());
    await expect(verifier.verify(der(client.certPem))).rejects.toMatchObject({ code: 'ERR_TOKEN_INVALID' });
    const broken = createClientCertificateVerifier({
      store: { ...store, findActive: () => Promise.reject(new Error('connection refused')) },
    });
    await expect(broken.verify(der(client.certPem))).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
  });
});
