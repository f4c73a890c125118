import packageJson from '../package.json' with { type: 'json' };

/**
 * The version of `@restguard/cli`, inlined from its package.json at build time.
 * @example
 * console.log(VERSION); // '0.1.0'
 */
export const VERSION: string = packageJson.version;
