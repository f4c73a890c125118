/**
 * The adapters' OpenAPI tests: a key per permission set, and every operation of a document asked
 * with no key and with each key, beside what the document says about that key.
 */
import { type ApiKeyStore, createMemoryApiKeyStore } from '@restguard/core';
import { expect } from 'vitest';
import { createApiKeys } from './api-keys.js';

/** An operation of the generated document, as far as the tests read it. */
export type OpenApiOperation = { security?: Record<string, string[]>[]; summary?: string };
/** The generated document, as far as the tests read it. */
export type OpenApiDocument = {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { securitySchemes: object };
};

/** A key and the permissions it was created with. */
export interface PermissionKey {
  permissions: string[];
  key: string;
}

/** The permission sets the OpenAPI tests hold keys for. */
const PERMISSION_SETS = [['other'], ['read'], ['read', 'write'], ['admin'], ['read', 'admin']];

/** The store of the OpenAPI tests and its keys; see {@link createOpenApiKeys}. */
export interface OpenApiKeys {
  readonly store: ApiKeyStore;
  /** Filled by `create()`, in the order of the permission sets. */
  readonly keys: PermissionKey[];
  /** Creates one key (named `k`) per permission set: `other`, `read`, `read+write`, `admin`, `read+admin`. */
  create(): Promise<void>;
}

/**
 * Core's memory store, and one key per permission set once `create()` has run.
 * @example
 * const { store, keys, create } = createOpenApiKeys();
 * beforeAll(create);
 */
export function createOpenApiKeys(): OpenApiKeys {
  const store = createMemoryApiKeyStore();
  const keys: PermissionKey[] = [];
  return {
    store,
    keys,
    async create() {
      const issued = await createApiKeys(
        store,
        PERMISSION_SETS.map((permissions) => ({ name: 'k', permissions })),
      );
      keys.push(
        ...issued.map((created, index) => ({ permissions: PERMISSION_SETS[index]!, key: created.key })),
      );
    },
  };
}

/**
 * The API-key scopes of each security alternative of an operation.
 * @example
 * expect(apiKeyScopes(doc.paths['/api/notes']?.get)).toEqual([['read']]);
 */
export function apiKeyScopes(op: OpenApiOperation | undefined): string[][] | undefined {
  return op?.security?.filter((item) => 'apiKey' in item).map((item) => item.apiKey!);
}

/** One request of {@link askEveryOperation}: what the document allows and whether the app allowed it. */
export interface OperationCheck {
  /** `method path permissions` (`none` without a key). */
  label: string;
  allowedByDoc: boolean;
  /** The answer was neither 401 nor 403. */
  allowed: boolean;
}

/**
 * Asks every operation of the document with no key and with each key (`send` answers the status),
 * in document order, and returns each answer beside what the document says.
 * @example
 * for (const check of await askEveryOperation(doc, keys, send)) expect(check.allowed, check.label).toBe(check.allowedByDoc);
 */
export async function askEveryOperation(
  doc: OpenApiDocument,
  keys: readonly PermissionKey[],
  send: (method: string, path: string, headers: Record<string, string>) => Promise<number>,
): Promise<OperationCheck[]> {
  const checks: OperationCheck[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      for (const credential of [undefined, ...keys]) {
        const allowedByDoc =
          op.security === undefined ||
          (credential !== undefined &&
            op.security.some(
              (alternative) =>
                alternative.apiKey?.every((scope) => credential.permissions.includes(scope)) === true,
            ));
        const status = await send(
          method.toUpperCase(),
          path.replace('{id}', '1'),
          credential ? { 'x-api-key': credential.key } : {},
        );
        const allowed = status !== 401 && status !== 403;
        const label = `${method} ${path} ${credential?.permissions.join('+') ?? 'none'}`;
        checks.push({ label, allowedByDoc, allowed });
      }
    }
  }
  return checks;
}

/**
 * The API-key scopes of the notes routes every adapter's OpenAPI test declares: none on `/healthz`,
 * `[]` on `/api/me`, `read` to list, `write` to post, `read` and (`write` or `admin`) to delete.
 * @example
 * expectNotesRouteScopes(doc);
 */
export function expectNotesRouteScopes(doc: OpenApiDocument): void {
  expect(doc.paths['/healthz']?.get?.security).toBeUndefined();
  expect(apiKeyScopes(doc.paths['/api/me']?.get)).toEqual([[]]);
  expect(apiKeyScopes(doc.paths['/api/notes']?.get)).toEqual([['read']]);
  expect(apiKeyScopes(doc.paths['/api/notes']?.post)).toEqual([['write']]);
  expect(apiKeyScopes(doc.paths['/api/notes/{id}']?.delete)).toEqual([
    ['read', 'write'],
    ['read', 'admin'],
  ]);
}
