/**
 * The grammar and help of every command, in one place (the contract in DESIGN.md):
 * `keys create|list|revoke|rotate|update`, each with `--db` and `--json`.
 */
import type { CommandSpec, OptionSpec } from './args.js';

const db: OptionSpec = {
  type: 'string',
  value: 'URL',
  description: 'sqlite:PATH, postgres://… or postgresql://… (default: $DATABASE_URL).',
};
const json: OptionSpec = { type: 'boolean', description: 'Print one JSON document instead of text.' };

/** `restguard keys create`. */
export const createSpec: CommandSpec = {
  name: 'keys create',
  summary: 'Creates an API key and prints it once. Only its hash is stored; it cannot be shown again.',
  positionals: [],
  options: {
    db,
    name: {
      type: 'string',
      required: true,
      value: 'NAME',
      description: 'What the key is for (shown by list).',
    },
    permissions: {
      type: 'string',
      required: true,
      value: 'LIST',
      description: 'Comma-separated permissions, e.g. read,write.',
    },
    'expires-in': {
      type: 'string',
      value: 'DURATION',
      description: 'Lifetime: a whole number and s, m, h, d or w (30d, 24h, 15m). Default: no expiry.',
    },
    subject: {
      type: 'string',
      value: 'SUBJECT',
      description: 'Owner behind the key (default: apikey:<id>).',
    },
    metadata: { type: 'string', value: 'JSON', description: 'A JSON object stored with the key.' },
    rate: {
      type: 'string',
      value: 'RATE',
      description:
        "The key's own rate limit: N/unit, e.g. 100/min, 10/s, 5000/day (default: the app's default).",
    },
    prefix: {
      type: 'string',
      value: 'PREFIX',
      description: 'Key prefix, e.g. rg_live or rg_test (default: $RESTGUARD_API_KEY_PREFIX, else rg_live).',
    },
    json,
  },
  notes: [
    'JSON output: {"id","key","prefix","permissions","expiresAt"} (expiresAt: ISO 8601 or null).',
    'Example: restguard keys create --db sqlite:./data/keys.db --name ci --permissions read --expires-in 30d',
  ],
};

/** `restguard keys list`. */
export const listSpec: CommandSpec = {
  name: 'keys list',
  summary: 'Lists API keys: id, name, display prefix, permissions, status, dates. Never a key or a hash.',
  positionals: [],
  options: {
    db,
    all: { type: 'boolean', description: 'Include revoked keys.' },
    json,
  },
};

/** `restguard keys revoke`. */
export const revokeSpec: CommandSpec = {
  name: 'keys revoke',
  summary: 'Revokes an API key now. Running apps refuse it within seconds. Revoking twice is harmless.',
  positionals: ['ID'],
  options: { db, json },
};

/** `restguard keys rotate`. */
export const rotateSpec: CommandSpec = {
  name: 'keys rotate',
  summary:
    'Issues a new key with the same name, permissions and owner, prints it once, and lets the old key work until the grace period ends.',
  positionals: ['ID'],
  options: {
    db,
    grace: {
      type: 'string',
      value: 'DURATION',
      description: 'How long the old key keeps working (default 24h; 0s ends it now).',
    },
    'expires-in': {
      type: 'string',
      value: 'DURATION',
      description: "The new key's lifetime (default: the old key's lifetime, or no expiry).",
    },
    json,
  },
  notes: ['JSON output: {"id","key","prefix","permissions","expiresAt","rotatedFromId","graceUntil"}.'],
};

/** `restguard keys update`. */
export const updateSpec: CommandSpec = {
  name: 'keys update',
  summary: "Changes an API key's rate limit. Running apps apply it within seconds.",
  positionals: ['ID'],
  options: {
    db,
    rate: {
      type: 'string',
      required: true,
      value: 'RATE',
      description: "N/unit (100/min, 10/s, 5000/day, 20/10s), or none for the app's default.",
    },
    json,
  },
  notes: ['JSON output: {"id","name","prefix","rateLimit"} (rateLimit: the rate or null).'],
};

/** Every `keys` command, by its word. */
export const keysCommands: Readonly<Record<string, CommandSpec>> = {
  create: createSpec,
  list: listSpec,
  revoke: revokeSpec,
  rotate: rotateSpec,
  update: updateSpec,
};
