import { DurableObject } from "cloudflare:workers";
import { initMeta, recordMeta } from "./meta";

/** One per organization: serializes folio numbering and the balance/consumables ledger. */
export class OrgLedger extends DurableObject {
  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => initMeta(ctx.storage));
  }

  /** Proves storage works: records the organization it serves on first call and reports it back. */
  async health(organizationId: string) {
    return {
      ok: true as const,
      object: "OrgLedger" as const,
      ...recordMeta(this.ctx.storage, organizationId),
    };
  }
}
