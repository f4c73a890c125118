/**
 * Single-flight loading with a failure backoff, shared by discovery and the JWKS client: however
 * many callers wait, one request is in flight; after a failure, callers get 503 until the backoff
 * has passed, then the next caller tries again (a failure is never cached for good).
 */
import { UnavailableError } from '../errors.js';

/** One remote resource's load state. */
export class SingleFlight<T> {
  private inflight: Promise<T> | undefined;
  /** Clock time of the last failed attempt, or undefined when the last attempt succeeded. */
  failedAt: number | undefined;
  /** Clock time of the last success. */
  succeededAt: number | undefined;
  /** Why the last attempt failed: kept as the cause of the 503s during the backoff. */
  private lastCause: unknown;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly clock: () => number,
    private readonly backoffMs: number,
  ) {}

  /** True while a load is in flight. */
  get busy(): boolean {
    return this.inflight !== undefined;
  }

  /** Milliseconds of backoff left after a failure (0 when a new attempt may start). */
  backoffLeft(): number {
    if (this.failedAt === undefined) return 0;
    return Math.max(0, this.failedAt + this.backoffMs - this.clock());
  }

  /**
   * Joins the load in flight or starts one — unless the last attempt failed less than the backoff
   * ago, which throws {@link UnavailableError} at once. Load failures become UnavailableError.
   */
  run(): Promise<T> {
    if (this.inflight) return this.inflight;
    const left = this.backoffLeft();
    if (left > 0) return Promise.reject(unavailable(left, this.lastCause));
    const attempt = this.load().then(
      (value) => {
        this.succeededAt = this.clock();
        this.failedAt = undefined;
        return value;
      },
      (cause: unknown) => {
        this.failedAt = this.clock();
        this.lastCause = cause;
        throw unavailable(this.backoffMs, cause);
      },
    );
    this.inflight = attempt;
    const clear = () => {
      if (this.inflight === attempt) this.inflight = undefined;
    };
    attempt.then(clear, clear);
    return attempt;
  }
}

/** The 503 every infrastructure failure becomes; Retry-After is the backoff left (at least 1 s). */
export function unavailable(retryMs: number, cause?: unknown): UnavailableError {
  return new UnavailableError(undefined, {
    cause,
    retryAfterSeconds: Math.max(1, Math.ceil(retryMs / 1000)),
  });
}
