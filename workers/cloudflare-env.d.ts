// Types `env` from "cloudflare:workers" and "cloudflare:test" as our bindings.
import type { AppBindings } from "./env";

declare global {
  namespace Cloudflare {
    interface Env extends AppBindings {}
    interface GlobalProps {
      mainModule: typeof import("./index");
      durableNamespaces: "OrgLedger" | "Notifications";
    }
  }
}
