// Stripe-Signature verification on raw bodies, checked against node:crypto and the `stripe` package's own signer.
import { createHmac } from "node:crypto";
import Stripe from "stripe";
import { describe, expect, it, vi } from "vitest";
import * as authCrypto from "../../../shared/auth/crypto";
import {
  parseStripeSignatureHeader,
  signStripePayload,
  verifyStripeSignature,
} from "../../../shared/billing/stripe-signature";

const secret = "whsec_timbre_local";
const body = JSON.stringify({ id: "evt_1", type: "checkout.session.completed", data: { object: {} } });
const bytes = (text: string) => new TextEncoder().encode(text);
const T = 1_800_000_000;
const at = (seconds: number) => ({ now: seconds * 1000 });
const hmac = (key: string, t: number, payload: string) =>
  createHmac("sha256", key).update(`${t}.${payload}`).digest("hex");

describe("verifyStripeSignature", () => {
  it("accepts HMAC-SHA256 of t.body, as node:crypto computes it", async () => {
    const header = `t=${T},v1=${hmac(secret, T, body)}`;
    expect(await verifyStripeSignature(bytes(body), header, secret, at(T))).toEqual({
      ok: true,
      timestamp: T,
    });
    expect(await signStripePayload(secret, body, T)).toBe(header);
  });

  it("accepts the header the stripe package generates (its WebCrypto provider)", async () => {
    const stripe = new Stripe("sk_test_x");
    const header = await stripe.webhooks.generateTestHeaderStringAsync({
      payload: body,
      secret,
      timestamp: T,
      cryptoProvider: Stripe.createSubtleCryptoProvider(),
    });
    expect((await verifyStripeSignature(bytes(body), header, secret, at(T + 5))).ok).toBe(true);
  });

  it("accepts any of several v1 signatures and ignores other schemes", async () => {
    const good = hmac(secret, T, body);
    const header = `t=${T},v0=${"1".repeat(64)},v1=${"0".repeat(64)},v1=${good},v1=zz`;
    expect((await verifyStripeSignature(bytes(body), header, secret, at(T))).ok).toBe(true);
    expect(parseStripeSignatureHeader(header).signatures).toHaveLength(3);
    // Rolling secrets: the old and the new one each sign.
    const rolled = `t=${T},v1=${hmac("whsec_old", T, body)},v1=${good}`;
    expect((await verifyStripeSignature(bytes(body), rolled, secret, at(T))).ok).toBe(true);
  });

  it("refuses timestamps outside 300 s, in the past and in the future", async () => {
    const header = `t=${T},v1=${hmac(secret, T, body)}`;
    expect((await verifyStripeSignature(bytes(body), header, secret, at(T + 300))).ok).toBe(true);
    expect(await verifyStripeSignature(bytes(body), header, secret, at(T + 301))).toEqual({
      ok: false,
      reason: "stale",
    });
    expect(await verifyStripeSignature(bytes(body), header, secret, at(T - 301))).toEqual({
      ok: false,
      reason: "stale",
    });
  });

  it("refuses a tampered body, another secret and a signature of another timestamp", async () => {
    const header = `t=${T},v1=${hmac(secret, T, body)}`;
    const tampered = body.replace("evt_1", "evt_2");
    expect(await verifyStripeSignature(bytes(tampered), header, secret, at(T))).toEqual({
      ok: false,
      reason: "mismatch",
    });
    expect((await verifyStripeSignature(bytes(`${body} `), header, secret, at(T))).ok).toBe(false);
    expect((await verifyStripeSignature(bytes(body), header, "whsec_other", at(T))).ok).toBe(false);
    const moved = `t=${T + 1},v1=${hmac(secret, T, body)}`;
    expect((await verifyStripeSignature(bytes(body), moved, secret, at(T))).ok).toBe(false);
  });

  it("signs the raw bytes: a body that is not valid UTF-8 verifies only byte for byte", async () => {
    const raw = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
    const header = await signStripePayload(secret, raw, T);
    expect((await verifyStripeSignature(raw, header, secret, at(T))).ok).toBe(true);
    const decoded = bytes(new TextDecoder().decode(raw));
    expect((await verifyStripeSignature(decoded, header, secret, at(T))).ok).toBe(false);
  });

  it("refuses a missing or malformed header", async () => {
    expect(await verifyStripeSignature(bytes(body), undefined, secret, at(T))).toEqual({
      ok: false,
      reason: "missing",
    });
    expect((await verifyStripeSignature(bytes(body), "  ", secret, at(T))).ok).toBe(false);
    for (const header of [
      `t=${T}`,
      `v1=${hmac(secret, T, body)}`,
      `t=abc,v1=${hmac(secret, T, body)}`,
      "garbage",
    ]) {
      expect(await verifyStripeSignature(bytes(body), header, secret, at(T))).toEqual({
        ok: false,
        reason: "malformed",
      });
    }
  });

  it("compares every candidate in constant time, without stopping at the first match", async () => {
    const spy = vi.spyOn(authCrypto, "constantTimeEqual");
    const good = hmac(secret, T, body);
    const header = `t=${T},v1=${good},v1=${"0".repeat(64)},v1=${"f".repeat(64)}`;
    expect((await verifyStripeSignature(bytes(body), header, secret, at(T))).ok).toBe(true);
    expect(spy).toHaveBeenCalledTimes(3);
    spy.mockRestore();
    // The comparison itself touches every byte whatever the first difference.
    expect(authCrypto.constantTimeEqual("a".repeat(64), `b${"a".repeat(63)}`)).toBe(false);
    expect(authCrypto.constantTimeEqual(good, good)).toBe(true);
  });
});
