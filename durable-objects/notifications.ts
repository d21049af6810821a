import { DurableObject } from "cloudflare:workers";
import { initMeta, recordMeta } from "./meta";

/** One per organization: realtime notification fan-out over hibernatable WebSockets. */
export class Notifications extends DurableObject {
  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => initMeta(ctx.storage));
  }

  async health(organizationId: string) {
    return {
      ok: true as const,
      object: "Notifications" as const,
      ...recordMeta(this.ctx.storage, organizationId),
      connections: this.ctx.getWebSockets().length,
    };
  }
}
