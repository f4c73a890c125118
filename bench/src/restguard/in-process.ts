/**
 * restguard's in-process rows: `guard.decide(request, ['read'])` — extraction, TLS policy,
 * verification, principal, authorization — exactly what an adapter calls per request.
 */
import type { Guard } from '@restguard/core';
import { type BenchKey, mintToken, type TokenAudience } from '../keys.js';
import { credentialRequest, reasonOf, type TokenSetup, tokenOptions } from './options.js';

/** A restguard row ready to time, or why it cannot run. */
export type RestguardCase =
  | { readonly key: string; readonly label: string; readonly accepts: (token: string) => Promise<boolean> }
  | { readonly label: string; readonly note: string };

/** The restguard side of the in-process suites. */
export interface RestguardBench {
  /** The token rows for one key: the default step (node:crypto on Node.js) and the Web Crypto step. */
  tokenVerifiers(key: BenchKey): Promise<RestguardCase[]>;
  close(): Promise<void>;
}

interface Flavour {
  readonly key: string;
  readonly label: string;
  readonly webCrypto: boolean;
}

const FLAVOURS: readonly Flavour[] = [
  { key: 'restguard', label: 'restguard guard.decide', webCrypto: false },
  { key: 'restguard-web', label: 'restguard guard.decide, Web Crypto step', webCrypto: true },
];

/** Why an answer refused a request, from its problem body (restguard's own fixed sentences). */
function refusal(decision: Awaited<ReturnType<Guard['decide']>>): string {
  if (decision.allow) return 'allowed';
  try {
    const body = JSON.parse(decision.answer.body) as { title?: string; detail?: string };
    return `${decision.answer.status} ${body.detail ?? body.title ?? ''}`.trim();
  } catch {
    return String(decision.answer.status);
  }
}

/**
 * Loads `@restguard/core` (built `dist/`) and builds guards lazily, one per flavour.
 * @example
 * const restguard = await createRestguardBench({ issuer, audience, jwksUrl, cacheSize: 1000 });
 */
export async function createRestguardBench(setup: Omit<TokenSetup, 'webCrypto'>): Promise<RestguardBench> {
  let core: typeof import('@restguard/core') | undefined;
  let loadError = '';
  try {
    core = await import('@restguard/core');
  } catch (err) {
    loadError = `@restguard/core not loadable: ${reasonOf(err)}`;
  }
  const guards = new Map<string, Guard | string>();
  const guardFor = async (flavour: Flavour): Promise<Guard | string> => {
    let guard = guards.get(flavour.key);
    if (guard === undefined) {
      try {
        if (!core) throw new Error(loadError);
        const tokens = await tokenOptions({ ...setup, webCrypto: flavour.webCrypto });
        guard = core.createGuard({ tls: false, tokens });
      } catch (err) {
        guard = `not available: ${reasonOf(err)}`;
      }
      guards.set(flavour.key, guard);
    }
    return guard;
  };
  const target: TokenAudience = setup;
  return {
    async tokenVerifiers(key) {
      const out: RestguardCase[] = [];
      for (const flavour of FLAVOURS) {
        const guard = await guardFor(flavour);
        if (typeof guard === 'string') {
          out.push({ label: flavour.label, note: guard });
          continue;
        }
        const accepts = (token: string) =>
          guard.decide(credentialRequest('authorization', `Bearer ${token}`), ['read']).then((d) => d.allow);
        const probe = await guard.decide(
          credentialRequest('authorization', `Bearer ${mintToken(key, target)}`),
          ['read'],
        );
        if (!probe.allow)
          out.push({
            label: flavour.label,
            note: `not available: refused a valid token (${refusal(probe)})`,
          });
        else out.push({ key: flavour.key, label: flavour.label, accepts });
      }
      return out;
    },
    async close() {
      for (const guard of guards.values()) if (typeof guard !== 'string') await guard.close();
    },
  };
}
