// Cancelling through the embedded sandbox PAC: SAT's motive rules, recognition of its own stamps, the
// RMF 2.7.1.35 cases that need no acceptance, the receiver's answer or the 72-hour lapse, idempotency.
import { beforeAll, describe, expect, it } from "vitest";
import { buildCfdi, type InvoiceInput } from "../../../shared/cfdi/build/index";
import { type Csd, loadCsd } from "../../../shared/cfdi/csd/index";
import type { CancelRequest, StampResult } from "../../../shared/pac/provider";
import { isStampRefusal } from "../../../shared/pac/provider";
import { SandboxPac } from "../../../shared/pac/sandbox";
import {
  cancelsWithoutAcceptance,
  recognizedType,
  type StampedFacts,
  sandboxReference,
} from "../../../shared/pac/sandbox-cancellation";
import { readFixture } from "../helpers/fixtures";

// A Friday, 10:00 in Mexico City: the next business day is Monday the 23rd.
const NOW = new Date("2026-11-20T16:00:00Z");
const HOUR = 3_600_000;
let now = NOW;
const clock = () => now;

const RECEPTOR = {
  rfc: "MCI7306249Y1",
  name: "MUNICIPIO DE CUAUTITLAN IZCALLI",
  taxRegime: "603",
  postalCode: "54700",
  cfdiUse: "G03",
};
const invoice = (unitPrice: string, fields: Partial<InvoiceInput> = {}): InvoiceInput => ({
  type: "I",
  issuer: { rfc: "EKU9003173C9", name: "ESCUELA KEMPER URGATE", taxRegime: "601" },
  receptor: RECEPTOR,
  expeditionPostalCode: "42501",
  paymentForm: "03",
  paymentMethod: "PUE",
  items: [
    {
      productKey: "84111506",
      quantity: "1",
      unitKey: "E48",
      description: "Servicio",
      unitPrice,
      taxes: [{ tax: "IVA", factor: "Tasa", rate: "0.16" }],
    },
  ],
  ...fields,
});

let csd: Csd;
beforeAll(async () => {
  csd = await loadCsd(
    {
      cer: readFixture("csd/EKU9003173C9/EKU9003173C9.cer"),
      key: readFixture("csd/EKU9003173C9/EKU9003173C9.key"),
      password: readFixture("csd/EKU9003173C9/password.txt").toString("utf8").trim(),
    },
    { now: NOW },
  );
});

let counter = 0;
/** A fresh sandbox and one stamp of `unitPrice` + IVA, at NOW. */
async function stamped(unitPrice = "5000.00", fields: Partial<InvoiceInput> = {}) {
  now = NOW;
  const pac = new SandboxPac({ clock });
  const xml = (await buildCfdi(invoice(unitPrice, fields), { csd, now: new Date(NOW.getTime() - 60_000) }))
    .xml;
  const stamp = await pac.stamp({ xml, idempotencyKey: `stamp-${++counter}` });
  return { pac, stamp, receiverRfc: fields.receptor?.rfc ?? RECEPTOR.rfc };
}

const request = (
  stamp: StampResult,
  total: string,
  over: Partial<CancelRequest> = {},
  receiverRfc = RECEPTOR.rfc,
): CancelRequest => ({
  uuid: stamp.uuid,
  issuerRfc: "EKU9003173C9",
  receiverRfc,
  total,
  stampedAt: stamp.stampedAt,
  providerReference: stamp.providerReference!,
  motive: "02",
  idempotencyKey: `cancel-${++counter}`,
  ...over,
});

async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    expect(isStampRefusal(error)).toBe(true);
    return error as { code: string; message: string; status: number; details: Record<string, unknown> };
  }
  throw new Error("expected a refusal");
}

const LATE = new Date("2026-11-24T06:30:00Z"); // Tuesday 00:30 in Mexico City: past the next business day.

describe("SandboxPac.cancel: motives", () => {
  it("refuses 01 without a substituting UUID (208), another motive with one (209), an unknown motive (207)", async () => {
    const { pac, stamp } = await stamped();
    expect((await refusal(pac.cancel(request(stamp, "5800.00", { motive: "01" })))).code).toBe("208");
    expect(
      (await refusal(pac.cancel(request(stamp, "5800.00", { motive: "01", substitution: "not-a-uuid" }))))
        .code,
    ).toBe("208");
    expect(
      (await refusal(pac.cancel(request(stamp, "5800.00", { motive: "01", substitution: stamp.uuid })))).code,
    ).toBe("208");
    const substitution = crypto.randomUUID().toUpperCase();
    const refused = await refusal(pac.cancel(request(stamp, "5800.00", { motive: "02", substitution })));
    expect(refused).toMatchObject({ code: "209", status: 422, details: { provider: "sandbox" } });
    expect(refused.message).toMatch(/^209 - Folio de sustitución no requerido/);
    expect((await refusal(pac.cancel(request(stamp, "5800.00", { motive: "05" as "01" })))).code).toBe("207");
    const accepted = await pac.cancel(request(stamp, "5800.00", { motive: "01", substitution }));
    expect(accepted.status).toBe("accepted");
  });
});

describe("SandboxPac.cancel: only its own stamps, with their facts", () => {
  it("refuses a CFDI it never stamped, or one whose Total, receiver or time were changed (205)", async () => {
    const { pac, stamp } = await stamped();
    const stranger = { ...stamp, uuid: crypto.randomUUID().toUpperCase() };
    expect((await refusal(pac.cancel(request(stranger, "5800.00")))).code).toBe("205");
    expect(
      (await refusal(pac.cancel(request(stamp, "5800.00", { providerReference: undefined })))).code,
    ).toBe("205");
    expect((await refusal(pac.cancel(request(stamp, "900.00")))).code).toBe("205");
    expect((await refusal(pac.cancel(request(stamp, "5800.00", {}, "XAXX010101000")))).code).toBe("205");
    const earlier = new Date(Date.parse(stamp.stampedAt) - 3 * 86_400_000).toISOString();
    expect((await refusal(pac.cancel(request(stamp, "5800.00", { stampedAt: earlier })))).code).toBe("205");
  });

  it("recognizes its stamps in another instance, whatever the spelling of the facts", async () => {
    const { stamp } = await stamped();
    const other = new SandboxPac({ clock });
    const spelled = request(stamp, "5800", {
      uuid: stamp.uuid.toLowerCase(),
      issuerRfc: "eku9003173c9",
      stampedAt: stamp.stampedAt.replace(".000Z", "Z"),
    });
    expect(await recognizedType(spelled)).toBe("I");
    expect((await other.cancel(spelled)).status).toBe("accepted");
  });
});

describe("SandboxPac.cancel: RMF 2.7.1.35", () => {
  const facts = (over: Partial<StampedFacts> = {}): StampedFacts => ({
    uuid: crypto.randomUUID().toUpperCase(),
    issuerRfc: "EKU9003173C9",
    receiverRfc: RECEPTOR.rfc,
    total: "5800.00",
    type: "I",
    stampedAt: NOW.toISOString(),
    ...over,
  });

  it("needs no acceptance for N, E, T, the generic RFCs, Totals up to 1,000 (not P), or until the next business day", () => {
    expect(cancelsWithoutAcceptance(facts({ type: "N" }), LATE)).toMatch(/^II/);
    expect(cancelsWithoutAcceptance(facts({ type: "E" }), LATE)).toMatch(/^III/);
    expect(cancelsWithoutAcceptance(facts({ type: "T" }), LATE)).toMatch(/^IV/);
    expect(cancelsWithoutAcceptance(facts({ receiverRfc: "XAXX010101000" }), LATE)).toMatch(/^VII/);
    expect(cancelsWithoutAcceptance(facts({ receiverRfc: "XEXX010101000" }), LATE)).toMatch(/^VIII/);
    expect(cancelsWithoutAcceptance(facts({ total: "1000.00" }), LATE)).toMatch(/^I:/);
    expect(cancelsWithoutAcceptance(facts({ total: "1000.01" }), LATE)).toBeUndefined();
    expect(cancelsWithoutAcceptance(facts({ total: "500", type: "P" }), LATE)).toBeUndefined();
    // Stamped on a Friday: Saturday and Sunday do not count, Monday until midnight (Mexico City) does.
    expect(cancelsWithoutAcceptance(facts(), new Date("2026-11-24T05:59:59Z"))).toMatch(/^IX/);
    expect(cancelsWithoutAcceptance(facts(), new Date("2026-11-24T06:00:00Z"))).toBeUndefined();
    expect(cancelsWithoutAcceptance(facts({ type: "P" }), LATE)).toBeUndefined();
  });

  it("cancels at once a small invoice and one to the general public, however late", async () => {
    const small = await stamped("800.00");
    now = LATE;
    expect(await small.pac.cancel(request(small.stamp, "928.00"))).toMatchObject({
      status: "accepted",
      requestedAt: LATE.toISOString().replace(/\.\d{3}Z$/, ".000Z"),
      providerStatus: expect.stringMatching(/sin aceptación.*I: total/),
    });
    const publico = await stamped("5000.00", {
      receptor: {
        rfc: "XAXX010101000",
        name: "PUBLICO EN GENERAL",
        taxRegime: "616",
        cfdiUse: "S01",
        postalCode: "42501",
      },
      globalInformation: { periodicity: "04", months: "11", year: "2026" },
    });
    now = LATE;
    expect((await publico.pac.cancel(request(publico.stamp, "5800.00", {}, "XAXX010101000"))).status).toBe(
      "accepted",
    );
  });
});

describe("SandboxPac.cancel: waiting for the receiver", () => {
  it("is pending, then accepted by the receiver; a second request → 202", async () => {
    const { pac, stamp } = await stamped();
    now = LATE;
    const first = request(stamp, "5800.00");
    const pending = await pac.cancel(first);
    expect(pending).toMatchObject({ status: "pending", providerStatus: "En proceso" });
    expect((await refusal(pac.cancel(request(stamp, "5800.00")))).code).toBe("cancellation_in_progress");
    expect(pac.settleCancellation(stamp.uuid, "accepted").status).toBe("accepted");
    // The same key is the same request, as it stands now.
    expect(await pac.cancel(first)).toMatchObject({ status: "accepted", requestedAt: pending.requestedAt });
    expect(pac.cancellationStatus(stamp.uuid)?.status).toBe("accepted");
    expect((await refusal(pac.cancel(request(stamp, "5800.00", { motive: "03" })))).code).toBe("202");
    expect(() => pac.settleCancellation(stamp.uuid, "rejected")).toThrow(/waiting/);
  });

  it("is rejected by the receiver, after which a new request may be made", async () => {
    const { pac, stamp } = await stamped();
    now = LATE;
    await pac.cancel(request(stamp, "5800.00"));
    expect(pac.settleCancellation(stamp.uuid, "rejected")).toMatchObject({
      status: "rejected",
      providerStatus: "Solicitud rechazada",
    });
    expect((await pac.cancel(request(stamp, "5800.00"))).status).toBe("pending");
  });

  it("expires 72 hours after the request without an answer; then it can be asked again", async () => {
    const { pac, stamp } = await stamped();
    now = LATE;
    const first = request(stamp, "5800.00");
    await pac.cancel(first);
    now = new Date(LATE.getTime() + 72 * HOUR - 1000);
    expect(pac.cancellationStatus(stamp.uuid)?.status).toBe("pending");
    now = new Date(LATE.getTime() + 72 * HOUR);
    expect(pac.cancellationStatus(stamp.uuid)?.status).toBe("expired");
    expect((await pac.cancel(first)).status).toBe("expired");
    expect(() => pac.settleCancellation(stamp.uuid, "accepted")).toThrow(/waiting/);
    expect((await pac.cancel(request(stamp, "5800.00"))).status).toBe("pending");
  });
});

describe("SandboxPac.cancel: idempotency", () => {
  it("answers the same key with the same request, concurrent or not, and refuses the key for another request", async () => {
    const { pac, stamp } = await stamped();
    now = LATE;
    const req = request(stamp, "5800.00");
    const answers = await Promise.all([pac.cancel(req), pac.cancel(req), pac.cancel(req)]);
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]!.status).toBe("pending");
    expect(await pac.cancel(req)).toEqual(answers[0]);
    const reused = pac.cancel({ ...req, motive: "03" });
    await expect(reused).rejects.toMatchObject({ code: "idempotency_key_reused", status: 409 });
  });

  it("hears a corrected request under the key of a refused one", async () => {
    const { pac, stamp } = await stamped();
    const req = request(stamp, "5800.00", { motive: "01" });
    expect((await refusal(pac.cancel(req))).code).toBe("208");
    const fixed = { ...req, substitution: crypto.randomUUID().toUpperCase() };
    expect((await pac.cancel(fixed)).status).toBe("accepted");
  });

  it("stamps with a reference that names the CFDI's type", async () => {
    const { stamp } = await stamped();
    expect(stamp.providerReference).toMatch(/^sbx1\.I\.[A-Za-z0-9_-]{43}$/);
    expect(
      await sandboxReference({
        uuid: stamp.uuid,
        issuerRfc: "EKU9003173C9",
        receiverRfc: RECEPTOR.rfc,
        total: "5800.00",
        type: "I",
        stampedAt: stamp.stampedAt,
      }),
    ).toBe(stamp.providerReference);
  });
});
