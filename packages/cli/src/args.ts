/**
 * Argument parsing on `node:util` `parseArgs` (strict), with the checks it leaves out: required
 * options, the exact number of positionals, and options given twice (refused rather than letting
 * the last one silently win). Every failure is a one-line {@link UsageError}.
 */
import { parseArgs } from 'node:util';
import { oneLine, UsageError } from './errors.js';

/** One option of a command. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly required?: boolean;
  /** Placeholder shown in help, e.g. `URL`. */
  readonly value?: string;
  readonly description: string;
}

/** A command's grammar and help. */
export interface CommandSpec {
  /** `keys create` */
  readonly name: string;
  readonly summary: string;
  /** Names of the required positionals, e.g. `['ID']`. */
  readonly positionals: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Extra help lines (examples, environment). */
  readonly notes?: readonly string[];
}

/** The parsed command line of one command. */
export interface ParsedCommand {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/**
 * A required option taking a URL, e.g. `--issuer`.
 * @example
 * const options = { issuer: requiredUrlOption('The issuer identifier (https://…).') };
 */
export function requiredUrlOption(description: string): OptionSpec {
  return { type: 'string', required: true, value: 'URL', description };
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', description: 'Show this help.' };

/**
 * Parses `argv` (what follows the command words) against `spec`. `--help` short-circuits the
 * required-option checks: the caller shows help when `values.help` is true.
 * @example
 * parseCommand(createSpec, ['--name', 'ci', '--permissions', 'read']).values.name; // 'ci'
 */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): ParsedCommand {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: HELP };
  for (const [name, option] of Object.entries(spec.options)) {
    options[name] = option.short ? { type: option.type, short: option.short } : { type: option.type };
  }
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; tokens: true; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true, tokens: true });
  } catch (err) {
    throw translate(err, spec);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { values, positionals: parsed.positionals };

  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name))
      throw new UsageError(`--${token.name} was given more than once (${usageLine(spec)}).`);
    seen.add(token.name);
  }
  for (const [name, option] of Object.entries(spec.options)) {
    if (option.required && values[name] === undefined) {
      throw new UsageError(`${spec.name}: --${name} is required (${usageLine(spec)}).`);
    }
  }
  const { positionals } = parsed;
  if (positionals.length < spec.positionals.length) {
    throw new UsageError(
      `${spec.name}: ${spec.positionals[positionals.length]} is required (${usageLine(spec)}).`,
    );
  }
  if (positionals.length > spec.positionals.length) {
    const extra = positionals[spec.positionals.length]!;
    const shown = extra.length <= 40 && /^[\w.:/-]+$/.test(extra) ? ` "${extra}"` : '';
    throw new UsageError(`${spec.name}: unexpected argument${shown} (${usageLine(spec)}).`);
  }
  return { values, positionals };
}

/** Turns parseArgs' errors into our own sentences (its messages span several clauses). */
function translate(err: unknown, spec: CommandSpec): UsageError {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : '';
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  const safe = option && option.length <= 40 && /^-{1,2}[\w-]+$/.test(option) ? option : undefined;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(
        `${spec.name}: unknown option ${safe ?? ''} (${usageLine(spec)}).`.replace('  ', ' '),
      );
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument missing|ambiguous/.test(message)) {
        return new UsageError(`${spec.name}: ${safe ?? 'an option'} needs a value (${usageLine(spec)}).`);
      }
      return new UsageError(
        `${spec.name}: ${safe ?? 'an option'} does not take a value (${usageLine(spec)}).`,
      );
    default:
      return new UsageError(`${spec.name}: ${oneLine(message, 200)}`);
  }
}

/**
 * The one-line synopsis of a command, e.g. `restguard keys revoke ID [--db URL] [--json]`.
 * @example
 * usageLine(revokeSpec);
 */
export function usageLine(spec: CommandSpec): string {
  const parts = [`restguard ${spec.name}`, ...spec.positionals];
  for (const [name, option] of Object.entries(spec.options)) {
    const flag = option.type === 'string' ? `--${name} ${option.value ?? 'VALUE'}` : `--${name}`;
    parts.push(option.required ? flag : `[${flag}]`);
  }
  return `usage: ${parts.join(' ')}`;
}

/**
 * The full help text of a command.
 * @example
 * process.stdout.write(commandHelp(createSpec));
 */
export function commandHelp(spec: CommandSpec): string {
  const lines = [usageLine(spec).replace(/^usage/, 'Usage'), '', spec.summary, '', 'Options:'];
  const entries = Object.entries({ ...spec.options, help: HELP });
  const labels = entries.map(([name, o]) =>
    o.type === 'string' ? `--${name} ${o.value ?? 'VALUE'}` : `--${name}`,
  );
  const width = Math.max(...labels.map((l) => l.length));
  entries.forEach(([, option], i) => {
    lines.push(`  ${labels[i]!.padEnd(width)}  ${option.description}`);
  });
  if (spec.notes?.length) lines.push('', ...spec.notes);
  return `${lines.join('\n')}\n`;
}
