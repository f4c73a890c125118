import type { ApiKeySummary } from '@restguard/core';
import { describe, expect, it } from 'vitest';
import { formatKeyTable, formatTable, keyStatus, publicView } from './output.js';

const now = new Date('2026-01-01T00:00:00Z');
const base: ApiKeySummary = {
  id: 'key_1',
  name: 'ci',
  prefix: 'rg_live_Ab3x',
  permissions: ['read'],
  subject: null,
  metadata: {},
  createdAt: new Date('2025-12-01T00:00:00Z'),
  expiresAt: null,
  revokedAt: null,
  lastUsedAt: null,
  rotatedFromId: null,
  rotatedToId: null,
};

describe('keyStatus', () => {
  it('orders revoked, expired, rotating, active', () => {
    expect(keyStatus(base, now)).toBe('active');
    expect(keyStatus({ ...base, rotatedToId: 'key_2' }, now)).toBe('rotating');
    expect(keyStatus({ ...base, rotatedToId: 'key_2', expiresAt: now }, now)).toBe('expired');
    expect(keyStatus({ ...base, expiresAt: now, revokedAt: now }, now)).toBe('revoked');
  });
});

describe('publicView', () => {
  it('copies an allow-list of fields, so a hash on the record never comes out', () => {
    const record = { ...base, hash: 'SECRET_HASH', hashScheme: 'sha256' } as ApiKeySummary;
    const view = publicView(record, now);
    expect(Object.keys(view)).not.toContain('hash');
    expect(JSON.stringify(view)).not.toContain('SECRET_HASH');
  });
});

describe('formatKeyTable', () => {
  it('aligns columns and neutralises control characters in names', () => {
    const table = formatKeyTable([publicView({ ...base, name: 'evil\u001b[2J\nname' }, now)]);
    const lines = table.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^ID\s+NAME\s+PREFIX\s+PERMISSIONS\s+RATE\s+STATUS\s+CREATED\s+EXPIRES\s+LAST USED$/,
    );
    expect(table).not.toContain('\u001b');
    expect(lines[1]).toContain('never');
  });

  it('says so when there are no keys', () => {
    expect(formatKeyTable([])).toBe('No API keys.\n');
    expect(
      formatTable([
        ['a', 'b'],
        ['ccc', 'd'],
      ]),
    ).toBe('a    b\nccc  d\n');
  });
});
