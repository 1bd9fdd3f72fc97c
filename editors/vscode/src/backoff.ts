// Decides when to restart a crashed language server. Pure: the caller passes
// the clock, so the policy is unit-tested without timers.

export interface BackoffOptions {
  /** Delay before the first restart. */
  initialMs: number;
  /** Upper bound of the delay. */
  maxMs: number;
  /** Crashes in a row (each within stableMs of its start) before giving up. */
  maxCrashes: number;
  /** A server that ran this long is considered healthy: the count resets. */
  stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 30000, maxCrashes: 5, stableMs: 60000 };

export type CrashDecision = { restartInMs: number; crashes: number } | { giveUp: true; crashes: number };

export class CrashBackoff {
  private crashes = 0;
  private startedAt: number | undefined;

  constructor(private readonly opts: BackoffOptions = DEFAULT_BACKOFF) {}

  /** The server finished starting at `now`. */
  started(now: number): void {
    this.startedAt = now;
  }

  /** The server died unexpectedly at `now`. */
  crashed(now: number): CrashDecision {
    if (this.startedAt !== undefined && now - this.startedAt >= this.opts.stableMs) {
      this.crashes = 0;
    }
    this.startedAt = undefined;
    this.crashes++;
    if (this.crashes > this.opts.maxCrashes) {
      return { giveUp: true, crashes: this.crashes - 1 };
    }
    const delay = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** (this.crashes - 1));
    return { restartInMs: delay, crashes: this.crashes };
  }

  /** A manual restart by the user starts a fresh budget. */
  reset(): void {
    this.crashes = 0;
    this.startedAt = undefined;
  }
}
