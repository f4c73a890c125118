// Test certificates: the project's own development CA and server certificate for 127.0.0.1 and
// localhost (the ones the demo apps serve), generated into the test's temporary folder.
import path from 'node:path';
import { ensureDevCertificates } from '@restguard/core/node';

export interface TestCertificates {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  const dev = await ensureDevCertificates(path.join(dir, 'tls'), { hosts: ['127.0.0.1', 'localhost'] });
  return { caPem: dev.caCertPem, certPem: dev.certPem, keyPem: dev.keyPem };
}
