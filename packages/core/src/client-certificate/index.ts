export {
  type CertificateNames,
  type DerNode,
  readCertificateNames,
  readDerChildren,
  readDerNode,
} from './der.js';
export {
  type ClientCertificateMatch,
  type ClientCertificateRule,
  type ClientCertificateStore,
  createMemoryClientCertificateStore,
} from './store.js';
export {
  type ClientCertificateOptions,
  type ClientCertificateVerifier,
  createClientCertificateVerifier,
} from './verifier.js';
