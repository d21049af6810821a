// GET and PUT /v1/organizations/{organizationId}/stamping-provider: which provider stamps the
// organization's invoices (the embedded sandbox or Facturapi with the organization's API key).
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { IsoDate, jsonBody, jsonContent, OrgIdParam } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { getStampingProvider, setStampingProvider } from "../services/stamping-providers";

const SetStampingProviderBody = z
  .discriminatedUnion("provider", [
    z.object({ provider: z.literal("sandbox") }).strict(),
    z
      .object({
        provider: z.literal("facturapi"),
        // An organization key: a user key (sk_user_…) cannot issue invoices.
        apiKey: z
          .string()
          .regex(
            /^sk_(test|live)_[A-Za-z0-9]{8,200}$/,
            "Must be a Facturapi organization key (sk_test_… or sk_live_…)",
          )
          .openapi({
            description: "The Facturapi organization's secret key; stored encrypted, never returned",
          }),
      })
      .strict(),
  ])
  .openapi("SetStampingProvider");

const StampingProviderSetting = z
  .object({
    provider: z.enum(["sandbox", "facturapi"]),
    apiKeyLast4: z.string().nullable().openapi({ description: "Last four characters of the stored API key" }),
    updatedAt: IsoDate.nullable().openapi({
      description: "Null while the organization uses the default sandbox",
    }),
  })
  .openapi("StampingProviderSetting");

export const getRoute = authedRoute({
  method: "get",
  path: "/v1/organizations/{organizationId}/stamping-provider",
  tags: ["Organizations"],
  summary: "Get the organization's stamping provider",
  request: { params: OrgIdParam },
  responses: { 200: jsonContent(z.object({ stampingProvider: StampingProviderSetting })) },
});

export const putRoute = authedRoute({
  method: "put",
  path: "/v1/organizations/{organizationId}/stamping-provider",
  tags: ["Organizations"],
  summary: "Choose the organization's stamping provider",
  description: [
    "`sandbox` (the default) stamps with Timbre's embedded test PAC, sealing with the CSD uploaded to Timbre.",
    "`facturapi` creates each invoice at Facturapi with the organization's API key; Facturapi seals it with the",
    "CSD uploaded there. The key is stored encrypted and never returned; choosing `sandbox` deletes it.",
  ].join(" "),
  request: { params: OrgIdParam, body: jsonBody(SetStampingProviderBody) },
  responses: {
    200: jsonContent(z.object({ success: z.literal(true), stampingProvider: StampingProviderSetting })),
  },
});

export function register(app: App) {
  app.openapi(getRoute, async (c) => {
    const stampingProvider = await getStampingProvider(actorContext(c), c.req.valid("param").organizationId);
    return c.json({ stampingProvider }, 200);
  });
  app.openapi(putRoute, async (c) => {
    const stampingProvider = await setStampingProvider(
      actorContext(c),
      c.req.valid("param").organizationId,
      c.req.valid("json"),
    );
    return c.json({ success: true as const, stampingProvider }, 200);
  });
}
