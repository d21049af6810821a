/**
 * The retry schedule of a webhook delivery: exponential from one minute, doubling, capped at the
 * longest delay a Cloudflare Queues message can be retried with (12 h), for as many attempts as fit
 * in three days. The JOBS queue's `max_retries` in wrangler.toml is WEBHOOK_MAX_ATTEMPTS − 1, so the
 * queue never dead-letters a delivery before the schedule parks it (a test reads both).
 */

export const FIRST_RETRY_SECONDS = 60;
/** Cloudflare Queues' maximum `delaySeconds`. */
export const MAX_RETRY_SECONDS = 12 * 3600;
export const RETRY_WINDOW_SECONDS = 3 * 24 * 3600;

/** The wait after failed attempt `attempt` (1-based) before the next one. */
export const retryDelaySeconds = (attempt: number) =>
  Math.min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** (Math.max(1, attempt) - 1));

/** Attempts in all: the first plus every retry whose cumulative wait still falls within the window. */
export const WEBHOOK_MAX_ATTEMPTS = (() => {
  let attempts = 1;
  let waited = 0;
  while (waited + retryDelaySeconds(attempts) <= RETRY_WINDOW_SECONDS) {
    waited += retryDelaySeconds(attempts);
    attempts += 1;
  }
  return attempts;
})();
