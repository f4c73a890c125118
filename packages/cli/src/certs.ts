/**
 * `restguard certs allow|list|revoke`: the rules that let verified client certificates in as
 * principals (core's `ClientCertificateStore`, in the API keys' database). Like `keys`, every input
 * is checked before the database is opened, and only `allow` creates tables.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type ClientCertificateMatch,
  type ClientCertificateRule,
  type ClientCertificateStore,
  readCertificateNames,
} from '@restguard/core';
import type { CommandSpec, OptionSpec, ParsedCommand } from './args.js';
import { type DatabaseTarget, resolveDatabase } from './database.js';
import { oneLine, UsageError } from './errors.js';
import { parseName, parsePermissions } from './input.js';
import { formatJson, formatTable } from './output.js';
import type { CliIo } from './run.js';
import { postgresStoreOptions, sqliteStoreOptions, withOpened } from './store.js';

const db: OptionSpec = {
  type: 'string',
  value: 'URL',
  description: 'sqlite:PATH, postgres://… or postgresql://… (default: $DATABASE_URL).',
};
const json: OptionSpec = { type: 'boolean', description: 'Print one JSON document instead of text.' };

/** The `certs` commands' grammar. */
export const certsCommands: Record<string, CommandSpec> = {
  allow: {
    name: 'certs allow',
    summary:
      'Allows client certificates as a principal with permissions: one certificate, a SAN or a subject.',
    positionals: [],
    options: {
      db,
      name: { type: 'string', required: true, value: 'NAME', description: 'The principal (its subject).' },
      permissions: {
        type: 'string',
        required: true,
        value: 'LIST',
        description: 'Comma-separated, e.g. read,write.',
      },
      cert: {
        type: 'string',
        value: 'FILE',
        description: 'A PEM certificate: allow exactly it (its thumbprint).',
      },
      thumbprint: {
        type: 'string',
        value: 'X5T',
        description: 'base64url SHA-256 of the DER (RFC 8705 x5t#S256).',
      },
      san: {
        type: 'string',
        value: 'TYPE:VALUE',
        description: 'A subject alternative name: dns:, email:, uri: or ip:.',
      },
      subject: {
        type: 'string',
        value: 'DN',
        description: 'The RFC 4514 subject, e.g. CN=machine-1,O=Example.',
      },
      json,
    },
    notes: [
      'Exactly one of --cert, --thumbprint, --san, --subject. The server must verify client certificates (requestCert).',
      'Example: restguard certs allow --db sqlite:./data/keys.db --name billing --permissions read --cert billing.pem',
    ],
  },
  list: {
    name: 'certs list',
    summary: 'Lists the client-certificate rules: id, name, match, value, permissions, status.',
    positionals: [],
    options: { db, all: { type: 'boolean', description: 'Include revoked rules.' }, json },
  },
  revoke: {
    name: 'certs revoke',
    summary: 'Revokes a client-certificate rule now. Revoking twice is harmless.',
    positionals: ['ID'],
    options: { db, json },
  },
};

/** Help for `restguard certs`. */
export const CERTS_HELP = `Usage: restguard certs <allow|list|revoke> [options]

Run restguard certs <command> --help for a command's options.
`;

function matchOf(values: ParsedCommand['values']): { match: ClientCertificateMatch; value: string } {
  const given = (['cert', 'thumbprint', 'san', 'subject'] as const).filter(
    (flag) => values[flag] !== undefined,
  );
  if (given.length !== 1) {
    throw new UsageError('certs allow needs exactly one of --cert, --thumbprint, --san, --subject.');
  }
  const flag = given[0]!;
  const raw = values[flag] as string;
  if (flag === 'cert') {
    let der: Buffer;
    try {
      der = new X509Certificate(readFileSync(raw)).raw;
    } catch {
      throw new UsageError('--cert must name a readable PEM certificate file.');
    }
    readCertificateNames(new Uint8Array(der)); // the guard must be able to read it too
    return { match: 'thumbprint', value: createHash('sha256').update(der).digest('base64url') };
  }
  if (flag === 'thumbprint') {
    if (!/^[A-Za-z0-9_-]{43}$/.test(raw))
      throw new UsageError('--thumbprint must be 43 base64url characters.');
    return { match: 'thumbprint', value: raw };
  }
  if (flag === 'san') {
    const found = /^(dns|email|uri|ip):([^\s]{1,512})$/.exec(raw);
    if (!found) throw new UsageError('--san must be dns:NAME, email:ADDRESS, uri:URI or ip:ADDRESS.');
    return { match: 'san', value: found[1] === 'dns' ? raw.toLowerCase() : raw };
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (raw.length === 0 || raw.length > 1024 || /[\u0000-\u001f\u007f]/.test(raw) || !raw.includes('=')) {
    throw new UsageError('--subject must be an RFC 4514 name such as CN=machine-1,O=Example.');
  }
  return { match: 'subject', value: raw };
}

/** Opens the client-certificate store behind `target`, runs `work`, closes; only `allow` migrates. */
function withCertificateStore<T>(
  target: DatabaseTarget,
  use: 'create' | 'list',
  work: (store: ClientCertificateStore) => Promise<T>,
): Promise<T> {
  return withOpened(
    target,
    use,
    async (): Promise<ClientCertificateStore> => {
      if (target.kind === 'sqlite') {
        const { createSqliteClientCertificateStore } = await import('@restguard/store-sqlite');
        return createSqliteClientCertificateStore(sqliteStoreOptions(target, use));
      }
      const { createPostgresClientCertificateStore } = await import('@restguard/store-postgres');
      return createPostgresClientCertificateStore(postgresStoreOptions(target, use));
    },
    work,
  );
}

const view = (rule: ClientCertificateRule) => ({
  id: rule.id,
  name: rule.name,
  match: rule.match,
  value: rule.value,
  permissions: rule.permissions,
  status: rule.revokedAt ? 'revoked' : 'active',
  createdAt: rule.createdAt.toISOString(),
  revokedAt: rule.revokedAt ? rule.revokedAt.toISOString() : null,
});

/**
 * Runs one parsed `certs` command; returns the exit code (0) or throws a one-line UsageError.
 * @example
 * await runCertsCommand('list', parseCommand(certsCommands.list!, ['--db', 'sqlite:keys.db']), io);
 */
export async function runCertsCommand(
  command: 'allow' | 'list' | 'revoke',
  parsed: ParsedCommand,
  io: CliIo,
): Promise<number> {
  const target = () => resolveDatabase(parsed.values.db as string | undefined, io.env, io.cwd);
  switch (command) {
    case 'allow':
      return allowCertificates(parsed.values, target, io);
    case 'list':
      return listCertificateRules(parsed.values, target(), io);
    case 'revoke':
      return revokeCertificateRule(parsed, target, io);
  }
}

/** `certs allow`: checks every input, then opens (and migrates) the database and inserts the rule. */
async function allowCertificates(
  values: ParsedCommand['values'],
  target: () => DatabaseTarget,
  io: CliIo,
): Promise<number> {
  const name = parseName(values.name as string);
  const permissions = parsePermissions(values.permissions as string);
  const { match, value } = matchOf(values);
  const database = target();
  const rule: ClientCertificateRule = {
    id: `cert_${randomBytes(12).toString('base64url')}`,
    name,
    match,
    value,
    permissions,
    createdAt: new Date(),
    revokedAt: null,
  };
  await withCertificateStore(database, 'create', async (store) => {
    await store.migrate();
    try {
      await store.insert(rule);
    } catch (err) {
      if (err instanceof Error && /already allows/.test(err.message)) {
        throw new UsageError(`an active rule already allows ${match} ${oneLine(value, 100)}.`);
      }
      throw err;
    }
  });
  io.stdout(
    values.json === true
      ? formatJson(view(rule))
      : `Allowed client certificates with ${match} ${oneLine(value, 200)} as "${oneLine(name, 200)}" (${permissions.join(', ')}): ${rule.id} in ${database.display}.\n`,
  );
  return 0;
}

/** `certs list`: the rules as JSON or a table. */
async function listCertificateRules(
  values: ParsedCommand['values'],
  target: DatabaseTarget,
  io: CliIo,
): Promise<number> {
  const rules = await withCertificateStore(target, 'list', (store) =>
    store.list({ includeRevoked: values.all === true }),
  );
  const views = rules.map(view);
  if (values.json === true) io.stdout(formatJson(views));
  else if (views.length === 0) io.stdout('No client-certificate rules.\n');
  else {
    io.stdout(
      formatTable([
        ['ID', 'NAME', 'MATCH', 'VALUE', 'PERMISSIONS', 'STATUS'],
        ...views.map((rule) =>
          [rule.id, rule.name, rule.match, rule.value, rule.permissions.join(','), rule.status].map((cell) =>
            oneLine(cell, 80),
          ),
        ),
      ]),
    );
  }
  return 0;
}

/** `certs revoke ID`: revokes the rule (again is fine) and says when. */
async function revokeCertificateRule(
  parsed: ParsedCommand,
  target: () => DatabaseTarget,
  io: CliIo,
): Promise<number> {
  const id = parsed.positionals[0]!;
  if (!/^cert_[A-Za-z0-9_-]{1,64}$/.test(id)) {
    throw new UsageError('ID must be a rule id as printed by `restguard certs allow` or `certs list`.');
  }
  const at = new Date();
  const found = await withCertificateStore(target(), 'list', async (store) => {
    if (!(await store.revoke(id, at))) return undefined;
    return (await store.list({ includeRevoked: true })).find((rule) => rule.id === id);
  });
  if (!found) throw new UsageError(`there is no client-certificate rule ${id}.`);
  const revokedAt = (found.revokedAt ?? at).toISOString();
  const already = found.revokedAt !== null && found.revokedAt.getTime() !== at.getTime();
  if (parsed.values.json === true)
    io.stdout(formatJson({ id, name: found.name, revokedAt, alreadyRevoked: already }));
  else
    io.stdout(
      `${already ? 'Was already revoked' : 'Revoked'}: client-certificate rule ${id} at ${revokedAt}.\n`,
    );
  return 0;
}
