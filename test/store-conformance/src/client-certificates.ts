/**
 * The client-certificate store suite (core's `ClientCertificateStore`): rules round-trip, one active
 * rule per match and value, lookup by any of several keys among active rules only, revoke once, and
 * a second connection to the same database seeing the same rules.
 */
import type { ClientCertificateRule, ClientCertificateStore } from '@restguard/core';
import { afterEach, describe, expect, it } from 'vitest';

/** A fresh, empty database per test; `openAnother` opens a second connection to it. */
export type ClientCertificateStoreFactory = () => Promise<{
  store: ClientCertificateStore;
  openAnother?: () => ClientCertificateStore;
  destroy?: () => Promise<void>;
}>;

let counter = 0;
/** A rule with defaults (a unique id and thumbprint value). */
export function makeRule(over: Partial<ClientCertificateRule> = {}): ClientCertificateRule {
  counter += 1;
  return {
    id: `cert_test_${Date.now().toString(36)}_${counter}`,
    name: `machine-${counter}`,
    match: 'thumbprint',
    value: `thumb-${counter}-${Math.random().toString(36).slice(2)}`,
    permissions: ['read'],
    createdAt: new Date(Math.floor(Date.now() / 1000) * 1000),
    revokedAt: null,
    ...over,
  };
}

/**
 * Registers the suite for one store.
 * @example
 * describeClientCertificateStoreConformance('memory', async () => ({ store: createMemoryClientCertificateStore() }), { shared: false });
 */
export function describeClientCertificateStoreConformance(
  name: string,
  factory: ClientCertificateStoreFactory,
  options: { shared: boolean },
): void {
  describe(`client-certificate store conformance: ${name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });
    const open = async () => {
      const fixture = await factory();
      cleanups.push(async () => {
        await fixture.store.close();
        await fixture.destroy?.();
      });
      await fixture.store.migrate();
      await fixture.store.migrate(); // idempotent
      return fixture;
    };

    it('round-trips rules and lists active ones unless asked for revoked ones too', async () => {
      const { store } = await open();
      const a = makeRule({ permissions: ['read', 'write'] });
      const b = makeRule({ match: 'subject', value: 'CN=machine-b,O=Example' });
      await store.insert(a);
      await store.insert(b);
      expect(await store.list()).toEqual([a, b]);
      expect(await store.revoke(b.id, new Date(b.createdAt.getTime() + 1000))).toBe(true);
      expect((await store.list()).map((r) => r.id)).toEqual([a.id]);
      expect((await store.list({ includeRevoked: true })).map((r) => r.revokedAt?.getTime() ?? null)).toEqual(
        [null, b.createdAt.getTime() + 1000],
      );
    });

    it('finds active rules by any of several keys', async () => {
      const { store } = await open();
      const bySan = makeRule({ match: 'san', value: 'dns:svc.example.com' });
      const revoked = makeRule();
      await store.insert(bySan);
      await store.insert(revoked);
      await store.revoke(revoked.id, new Date());
      const found = await store.findActive([
        { match: 'thumbprint', value: revoked.value },
        { match: 'san', value: 'dns:svc.example.com' },
        { match: 'subject', value: 'dns:svc.example.com' },
      ]);
      expect(found).toEqual([bySan]);
      expect(await store.findActive([])).toEqual([]);
    });

    it('keeps one active rule per match and value; revoking frees it; revoke is once and false when unknown', async () => {
      const { store } = await open();
      const first = makeRule();
      await store.insert(first);
      await expect(store.insert(makeRule({ value: first.value }))).rejects.toThrow();
      const at = new Date(first.createdAt.getTime() + 5000);
      expect(await store.revoke(first.id, at)).toBe(true);
      expect(await store.revoke(first.id, new Date(at.getTime() + 5000))).toBe(true);
      expect((await store.list({ includeRevoked: true }))[0]?.revokedAt?.getTime()).toBe(at.getTime());
      await store.insert(makeRule({ value: first.value }));
      expect(await store.revoke('cert_unknown', new Date())).toBe(false);
    });

    if (!options.shared) return;
    it('shows another connection the same rules', async () => {
      const { store, openAnother } = await open();
      if (!openAnother) throw new Error('a shared store needs openAnother');
      const other = openAnother();
      cleanups.push(() => other.close());
      const rule = makeRule();
      await store.insert(rule);
      expect(await other.findActive([{ match: 'thumbprint', value: rule.value }])).toEqual([rule]);
      await other.revoke(rule.id, new Date());
      expect(await store.findActive([{ match: 'thumbprint', value: rule.value }])).toEqual([]);
    });
  });
}
