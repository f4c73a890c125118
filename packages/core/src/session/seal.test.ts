import { describe, expect, it } from 'vitest';
import { createSealer } from './seal.js';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const now = () => Math.floor(Date.now() / 1000);

describe('createSealer', () => {
  it('round-trips a payload and refuses any tampered byte', async () => {
    const sealer = createSealer([A], 'session');
    const sealed = await sealer.seal({ sub: 'alice' }, now() + 60);
    expect((await sealer.open(sealed))?.sub).toBe('alice');
    const parts = sealed.split('.');
    for (const i of [0, 2, 3, 4]) {
      const copy = [...parts];
      // A middle character: all six of its bits count (a last character may carry padding bits).
      const part = copy[i]!;
      const at = Math.floor(part.length / 2);
      copy[i] = `${part.slice(0, at)}${part[at] === 'A' ? 'B' : 'A'}${part.slice(at + 1)}`;
      expect(await sealer.open(copy.join('.')), `part ${i}`).toBeNull();
    }
    expect(await sealer.open('not-a-jwe')).toBeNull();
  });

  it('refuses an expired payload', async () => {
    let clock = Date.now();
    const sealer = createSealer([A], 'transaction', () => clock);
    const sealed = await sealer.seal({ state: 's' }, now() + 10);
    clock += 11_000;
    expect(await sealer.open(sealed)).toBeNull();
  });

  it('keeps purposes apart: a transaction never opens as a session', async () => {
    const sealed = await createSealer([A], 'transaction').seal({ sub: 'x' }, now() + 60);
    expect(await createSealer([A], 'session').open(sealed)).toBeNull();
  });

  it('rotates: the first secret seals, every secret opens, a removed secret no longer opens', async () => {
    const old = await createSealer([B], 'session').seal({ sub: 'old' }, now() + 60);
    const rotated = createSealer([A, B], 'session');
    expect((await rotated.open(old))?.sub).toBe('old');
    const fresh = await rotated.seal({ sub: 'new' }, now() + 60);
    expect((await createSealer([A], 'session').open(fresh))?.sub).toBe('new');
    expect(await createSealer([B], 'session').open(fresh)).toBeNull();
    expect(await createSealer([A], 'session').open(old)).toBeNull();
    expect(fresh).not.toContain(A);
  });
});
