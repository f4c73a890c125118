/**
 * `restguard certs allow|list|revoke` through the built binary, against SQLite (a fresh file) and
 * PostgreSQL (a fresh schema on TEST_DATABASE_URL): the rules it writes are the ones a guard's
 * client-certificate verifier reads.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClientCertificateVerifier } from '@restguard/core';
import { createDevCa, issueCertificate } from '@restguard/core/node';
import { createPostgresClientCertificateStore } from '@restguard/store-postgres';
import { createSqliteClientCertificateStore } from '@restguard/store-sqlite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { beforeAllOrFail, expectRefused, run, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

async function clientCertificate(commonName: string) {
  const ca = await createDevCa({ commonName: 'cli test CA', days: 1 });
  const pair = await issueCertificate(ca, { usage: 'client', commonName, days: 1 });
  const file = join(tmp.dir, `${commonName}.pem`);
  writeFileSync(file, pair.certPem);
  const der = new Uint8Array(new X509Certificate(pair.certPem).raw);
  return { file, der, thumbprint: createHash('sha256').update(der).digest('base64url') };
}

describe('restguard certs (SQLite)', () => {
  const db = `sqlite:${join(tmp.dir, 'keys.db')}`;

  it('allows a certificate file, lists it, and the guard’s verifier maps it to the principal; revoke stops it', async () => {
    const cert = await clientCertificate('billing-job');
    const allowed = await run([
      'certs',
      'allow',
      '--db',
      db,
      '--name',
      'billing',
      '--permissions',
      'read,write',
      '--cert',
      cert.file,
      '--json',
    ]);
    expect(allowed.code, allowed.stderr).toBe(0);
    const rule = JSON.parse(allowed.stdout) as { id: string; match: string; value: string; status: string };
    expect(rule).toMatchObject({
      match: 'thumbprint',
      value: cert.thumbprint,
      status: 'active',
      permissions: ['read', 'write'],
    });

    const subjectRule = await run([
      'certs',
      'allow',
      '--db',
      db,
      '--name',
      'ops',
      '--permissions',
      'read',
      '--subject',
      'CN=ops-job',
    ]);
    expect(subjectRule.code, subjectRule.stderr).toBe(0);
    expect(subjectRule.stdout).toMatch(
      /^Allowed client certificates with subject CN=ops-job as "ops" \(read\): cert_\S+ in /,
    );

    const listed = await run(['certs', 'list', '--db', db, '--json']);
    expect(JSON.parse(listed.stdout).map((r: { name: string }) => r.name)).toEqual(['billing', 'ops']);
    const table = await run(['certs', 'list', '--db', db]);
    expect(table.stdout).toMatch(/^ID +NAME +MATCH +VALUE +PERMISSIONS +STATUS\n/);

    const store = createSqliteClientCertificateStore({ path: db });
    const verifier = createClientCertificateVerifier({ store });
    const principal = await verifier.verify(cert.der);
    expect(principal).toMatchObject({ kind: 'clientCertificate', subject: 'billing' });
    expect([...principal.scopes]).toEqual(['read', 'write']);
    expect((await verifier.verify((await clientCertificate('ops-job')).der)).subject).toBe('ops');

    const revoked = await run(['certs', 'revoke', rule.id, '--db', db, '--json']);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: rule.id, alreadyRevoked: false });
    await expect(verifier.verify(cert.der)).rejects.toMatchObject({ code: 'ERR_TOKEN_INVALID' });
    const again = await run(['certs', 'revoke', rule.id, '--db', db]);
    expect(again.stdout).toMatch(/^Was already revoked: /);
    expect(JSON.parse((await run(['certs', 'list', '--db', db, '--all', '--json'])).stdout)).toHaveLength(2);
    await store.close();
  });

  it('refuses bad input with one line and exit code 2, writing nothing', async () => {
    const fresh = `sqlite:${join(tmp.dir, 'untouched.db')}`;
    const base = ['certs', 'allow', '--db', fresh, '--name', 'x', '--permissions', 'read'];
    expectRefused(await run(base), /exactly one of --cert, --thumbprint, --san, --subject/);
    expectRefused(await run([...base, '--san', 'dns:a.example', '--subject', 'CN=a']), /exactly one of/);
    expectRefused(
      await run([...base, '--thumbprint', 'short']),
      /--thumbprint must be 43 base64url characters/,
    );
    expectRefused(await run([...base, '--san', 'host.example']), /--san must be dns:NAME/);
    expectRefused(await run([...base, '--subject', 'no equals sign']), /--subject must be an RFC 4514 name/);
    expectRefused(
      await run([...base, '--cert', join(tmp.dir, 'missing.pem')]),
      /--cert must name a readable PEM/,
    );
    expectRefused(
      await run([
        'certs',
        'allow',
        '--db',
        fresh,
        '--name',
        'x',
        '--permissions',
        'read write',
        '--san',
        'dns:a.example',
      ]),
      /--permissions/,
    );
    expect(existsSync(join(tmp.dir, 'untouched.db'))).toBe(false);
    expectRefused(await run(['certs', 'list', '--db', fresh]), /there is no SQLite database/);
    expectRefused(await run(['certs', 'revoke', 'key_123', '--db', db]), /ID must be a rule id/);
    expectRefused(
      await run(['certs', 'revoke', 'cert_unknown', '--db', db]),
      /there is no client-certificate rule cert_unknown/,
    );
    expectRefused(await run(['certs', 'frobnicate']), /certs: unknown command "frobnicate"/);
    await run([
      'certs',
      'allow',
      '--db',
      db,
      '--name',
      'dup',
      '--permissions',
      'read',
      '--san',
      'dns:dup.example',
    ]);
    expectRefused(
      await run([
        'certs',
        'allow',
        '--db',
        db,
        '--name',
        'dup2',
        '--permissions',
        'read',
        '--san',
        'dns:dup.example',
      ]),
      /an active rule already allows san dns:dup\.example/,
    );
  });
});

describe('restguard certs (PostgreSQL)', () => {
  let url = '';
  const schema = `rg_cli_certs_${process.pid}`;
  beforeAllOrFail(async () => {
    const server = process.env.TEST_DATABASE_URL;
    if (!server) throw new Error('TEST_DATABASE_URL is not set: run the root test script.');
    url = server;
  });
  afterAll(async () => {
    if (!url) return;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it('allows, lists and revokes rules that the PostgreSQL store serves to the verifier', async () => {
    const db = `${url}${url.includes('?') ? '&' : '?'}schema=${schema}`;
    const allowed = await run([
      'certs',
      'allow',
      '--db',
      db,
      '--name',
      'svc',
      '--permissions',
      'read',
      '--san',
      'dns:svc.example.com',
      '--json',
    ]);
    expect(allowed.code, allowed.stderr).toBe(0);
    const { id } = JSON.parse(allowed.stdout) as { id: string };
    const store = createPostgresClientCertificateStore({ connectionString: url, schema, autoMigrate: false });
    expect(
      (await store.findActive([{ match: 'san', value: 'dns:svc.example.com' }])).map((r) => r.id),
    ).toEqual([id]);
    expect(JSON.parse((await run(['certs', 'list', '--db', db, '--json'])).stdout)).toHaveLength(1);
    expect((await run(['certs', 'revoke', id, '--db', db])).code).toBe(0);
    expect(await store.findActive([{ match: 'san', value: 'dns:svc.example.com' }])).toEqual([]);
    await store.close();
  });
});
