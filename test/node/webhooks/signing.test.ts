// Webhook signatures, the delivery envelope and the retry schedule (and its agreement with wrangler.toml).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { invoiceEventEnvelope, WEBHOOK_EVENT_TYPES } from "../../../shared/webhooks/events";
import {
  FIRST_RETRY_SECONDS,
  MAX_RETRY_SECONDS,
  RETRY_WINDOW_SECONDS,
  retryDelaySeconds,
  WEBHOOK_MAX_ATTEMPTS,
} from "../../../shared/webhooks/retry";
import { newWebhookSecret, signWebhook, verifyWebhookSignature } from "../../../shared/webhooks/signing";

describe("webhook signatures", () => {
  const secret = "whsec_test_secret_0123456789abcdef";
  const body = JSON.stringify({ id: "evt", type: "invoice.received" });

  it("signs t.body with HMAC-SHA256 in hex, as a receiver recomputes it", async () => {
    const header = await signWebhook(secret, body, 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    // Recomputed independently with node:crypto.
    const { createHmac } = await import("node:crypto");
    const expected = createHmac("sha256", secret).update(`1700000000.${body}`).digest("hex");
    expect(header).toBe(`t=1700000000,v1=${expected}`);
  });

  it("verifies within the tolerance only, for the same body and secret", async () => {
    const t = 1_700_000_000;
    const header = await signWebhook(secret, body, t);
    const at = (seconds: number) => ({ now: seconds * 1000 });
    expect(await verifyWebhookSignature(header, secret, body, at(t + 10))).toBe(true);
    expect(await verifyWebhookSignature(header, secret, body, at(t + 301))).toBe(false);
    expect(await verifyWebhookSignature(header, secret, `${body} `, at(t))).toBe(false);
    expect(await verifyWebhookSignature(header, "whsec_other", body, at(t))).toBe(false);
    expect(await verifyWebhookSignature("t=abc,v1=00", secret, body, at(t))).toBe(false);
    expect(await verifyWebhookSignature(`t=${t}`, secret, body, at(t))).toBe(false);
    // A receiver accepts any of several v1 signatures (secret rotation).
    const [, v1] = header.split(",");
    expect(await verifyWebhookSignature(`t=${t},v1=${"0".repeat(64)},${v1}`, secret, body, at(t))).toBe(true);
  });

  it("generates distinct prefixed secrets", () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});

describe("delivery envelope", () => {
  it("carries the event id, type, time, subscriber and the invoice's sides", () => {
    const envelope = invoiceEventEnvelope("org-1", {
      id: "evt-1",
      type: "invoice.paid",
      createdAt: "2026-11-22T02:04:55.000Z",
      invoiceId: "inv-1",
      organizationId: "org-1",
      providerId: null,
      data: { paidAmount: "116.00" },
    });
    expect(envelope).toEqual({
      id: "evt-1",
      type: "invoice.paid",
      created_at: "2026-11-22T02:04:55.000Z",
      organization_id: "org-1",
      data: {
        paidAmount: "116.00",
        invoice_id: "inv-1",
        receiver_organization_id: "org-1",
        issuer_organization_id: null,
      },
    });
    expect(WEBHOOK_EVENT_TYPES).toContain("invoice.received");
  });
});

describe("retry schedule", () => {
  const delays = Array.from({ length: WEBHOOK_MAX_ATTEMPTS - 1 }, (_, i) => retryDelaySeconds(i + 1));

  it("grows exponentially from one minute, capped at the queue's 12 h maximum", () => {
    expect(delays[0]).toBe(FIRST_RETRY_SECONDS);
    expect(delays[1]).toBe(2 * FIRST_RETRY_SECONDS);
    for (let i = 1; i < delays.length; i++) expect(delays[i]!).toBeGreaterThanOrEqual(delays[i - 1]!);
    expect(Math.max(...delays)).toBe(MAX_RETRY_SECONDS);
  });

  it("spends at most three days, and one more retry would exceed them", () => {
    const total = delays.reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(RETRY_WINDOW_SECONDS);
    expect(total + retryDelaySeconds(WEBHOOK_MAX_ATTEMPTS)).toBeGreaterThan(RETRY_WINDOW_SECONDS);
    expect(total).toBeGreaterThan(2.5 * 24 * 3600);
    expect(WEBHOOK_MAX_ATTEMPTS).toBe(15);
  });

  it("matches the JOBS queue's max_retries, so the queue never dead-letters a delivery first", () => {
    const toml = readFileSync(new URL("../../../wrangler.toml", import.meta.url), "utf8");
    const consumer = toml
      .split("[[queues.consumers]]")
      .slice(1)
      .find((block) => /^\s*queue = "timbre-jobs"\n/.test(block));
    const maxRetries = Number(/max_retries = (\d+)/.exec(consumer ?? "")?.[1]);
    expect(maxRetries).toBe(WEBHOOK_MAX_ATTEMPTS - 1);
  });
});
