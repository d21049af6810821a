/**
 * Invitations that create provider links, in both directions: /v1/invitations/providers (an
 * organization invites providers; `organization_id`, linked with `provider_id`) and, through the same
 * `linkInvitationRoutes`, /v1/invitations/organizations (a provider invites client organizations;
 * `provider_id`, linked with `organization_id`; see invitations_organizations.ts). Plus
 * POST /v1/invitations/providers/codes, an organization's reusable code.
 */
import { z } from "@hono/zod-openapi";
import { badRequest } from "../../shared/errors";
import type { App } from "../app";
import { SuccessResponse } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { jsonBody, jsonContent, Uuid } from "../openapi/schemas";
import { actorContext } from "../services/context";
import {
  createLinkInvitations,
  deleteLinkInvitation,
  LINK_CODE_PLACEHOLDER,
  type LinkDirection,
  listLinkInvitations,
  resendLinkInvitation,
  reusableProviderCode,
  updateLinkInvitation,
} from "../services/invitations";
import { linkByInvitation } from "../services/providers";
import { invitePath } from "./invitations_users";

const WhatsappNumber = z.string().regex(/^[0-9]{12}$/, "12 digits with country code, no +");
const Path = invitePath(LINK_CODE_PLACEHOLDER);

const InvitationSchema = z
  .object({
    invitationCode: Uuid,
    inviter: z
      .object({ id: Uuid, name: z.string(), taxIdentifier: z.string() })
      .openapi({ description: "The organization (invitations to providers) or provider that invited" }),
    emailAddress: z.string().nullable(),
    whatsappNumber: z.string().nullable(),
    invitePath: z.string().nullable(),
    isReusable: z.boolean(),
    linkedOrganizationId: Uuid.nullable(),
    linkedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("LinkInvitation");

const CodeParam = z.object({
  invitation_code: z.string().openapi({ param: { name: "invitation_code", in: "path" }, format: "uuid" }),
});

interface DirectionConfig {
  direction: LinkDirection;
  plural: "providers" | "organizations";
  tag: string;
  /** Query parameter naming the inviting organization. */
  inviterParam: "organization_id" | "provider_id";
  /** Query parameter naming the organization that accepts. */
  inviteeParam: "provider_id" | "organization_id";
  invitee: string;
  inviter: string;
}

export const PROVIDERS: DirectionConfig = {
  direction: "provider",
  plural: "providers",
  tag: "Invitations to providers",
  inviterParam: "organization_id",
  inviteeParam: "provider_id",
  invitee: "provider",
  inviter: "organization",
};

export function linkInvitationRoutes(cfg: DirectionConfig) {
  const base = `/v1/invitations/${cfg.plural}`;
  const byCode = `${base}/{invitation_code}`;
  const Item = z
    .object({
      whatsappNumber: WhatsappNumber.optional().openapi({
        description: `The ${cfg.invitee}'s WhatsApp number`,
      }),
      emailAddress: z
        .email()
        .max(254)
        .optional()
        .openapi({ description: `The ${cfg.invitee}'s email address` }),
      invitePath: Path,
    })
    .strict()
    .refine((v) => v.whatsappNumber !== undefined || v.emailAddress !== undefined, {
      message: "Send a whatsappNumber, an emailAddress or both",
    });

  const createRoute = authedRoute(
    {
      method: "post",
      path: base,
      tags: [cfg.tag],
      summary: `Invite ${cfg.plural} to join a${cfg.inviter === "organization" ? "n organization" : " provider"}`,
      description: `Needs providers.manage in \`${cfg.inviterParam}\`. Each item gets its own code by email and/or WhatsApp.`,
      request: {
        query: z.object({
          [cfg.inviterParam]: Uuid.openapi({
            description: `ID of the ${cfg.inviter} sending the invitation`,
          }),
        }),
        body: jsonBody(z.array(Item).min(1).max(100)),
      },
      responses: { 200: jsonContent(z.object({ success: z.literal(true), invitesSent: z.number().int() })) },
    },
    { idempotent: true },
  );

  const listRoute = authedRoute({
    method: "get",
    path: base,
    tags: [cfg.tag],
    summary: `Get invitation information sent to a${cfg.invitee === "organization" ? "n organization" : " provider"}`,
    description:
      `With \`invitation_code\`: that pending invitation, for whoever holds the code (used ones → 404 ` +
      `\`invitation_not_found\`). With \`${cfg.inviterParam}\`: every invitation that ${cfg.inviter} sent ` +
      `(providers.read). Send exactly one of the two.`,
    request: {
      query: z.object({
        invitation_code: z.string().max(100).optional(),
        [cfg.inviterParam]: Uuid.optional(),
      }),
    },
    responses: { 200: jsonContent(z.array(InvitationSchema)) },
  });

  const updateRoute = authedRoute({
    method: "patch",
    path: byCode,
    tags: [cfg.tag],
    summary: `Update a${cfg.invitee === "organization" ? "n organization" : " provider"} invitation`,
    description:
      "Needs providers.manage in the inviting organization. A used invitation → 409 `invitation_already_used`.",
    request: {
      params: CodeParam,
      body: jsonBody(
        z
          .object({
            emailAddress: z.email().max(254).optional(),
            whatsappNumber: WhatsappNumber.optional(),
            invitePath: Path.optional(),
          })
          .strict()
          .refine((v) => Object.values(v).some((x) => x !== undefined), {
            message: "Send at least one field",
          }),
      ),
    },
    responses: { 200: jsonContent(SuccessResponse) },
  });

  const deleteRoute = authedRoute({
    method: "delete",
    path: byCode,
    tags: [cfg.tag],
    summary: `Delete a${cfg.invitee === "organization" ? "n organization" : " provider"} invitation`,
    description: "Needs providers.manage in the inviting organization.",
    request: { params: CodeParam },
    responses: { 200: jsonContent(SuccessResponse) },
  });

  const resendRoute = authedRoute(
    {
      method: "post",
      path: `${byCode}/resend`,
      tags: [cfg.tag],
      summary: `Resend a${cfg.invitee === "organization" ? "n organization" : " provider"} invitation`,
      description:
        "Sends the same code again to the invitation's email address and WhatsApp number. Needs providers.manage " +
        "in the organization that sent it.",
      request: { params: CodeParam, body: jsonBody(z.object({ invitePath: Path }).strict()) },
      responses: { 200: jsonContent(SuccessResponse) },
    },
    { idempotent: true },
  );

  const linkRoute = authedRoute(
    {
      method: "post",
      path: `${byCode}/link`,
      tags: [cfg.tag],
      summary:
        cfg.direction === "provider"
          ? "Link a provider to an organization"
          : "Link an organization to a provider",
      description:
        `Needs providers.manage in \`${cfg.inviteeParam}\`. Creates the link with 30 days of credit; a ` +
        "single-use invitation is consumed (again → 409 `invitation_already_used`). Linking an organization " +
        "to itself → 400 `cannot_link_to_itself`; an existing link → 409 `already_linked`.",
      request: {
        params: CodeParam,
        query: z.object({
          [cfg.inviteeParam]: Uuid.openapi({ description: `The ID of the ${cfg.invitee} to link` }),
        }),
      },
      responses: { 200: jsonContent(SuccessResponse) },
    },
    { idempotent: true },
  );

  return function register(app: App) {
    app.openapi(createRoute, async (c) => {
      const inviterId = c.req.valid("query")[cfg.inviterParam]!;
      const sent = await createLinkInvitations(
        actorContext(c),
        cfg.direction,
        inviterId,
        c.req.valid("json"),
      );
      return c.json({ success: true as const, invitesSent: sent }, 200);
    });
    app.openapi(listRoute, async (c) => {
      const query = c.req.valid("query");
      const code = query.invitation_code;
      const inviterId = query[cfg.inviterParam];
      if ((code === undefined) === (inviterId === undefined)) {
        throw badRequest("invalid_request", `Send exactly one of invitation_code and ${cfg.inviterParam}`);
      }
      const ctx = actorContext(c);
      const found = await listLinkInvitations(
        ctx,
        cfg.direction,
        code !== undefined ? { code } : { inviterOrganizationId: inviterId! },
      );
      return c.json(found, 200);
    });
    app.openapi(updateRoute, async (c) => {
      await updateLinkInvitation(
        actorContext(c),
        cfg.direction,
        c.req.valid("param").invitation_code,
        c.req.valid("json"),
      );
      return c.json({ success: true as const }, 200);
    });
    app.openapi(deleteRoute, async (c) => {
      await deleteLinkInvitation(actorContext(c), cfg.direction, c.req.valid("param").invitation_code);
      return c.json({ success: true as const }, 200);
    });
    app.openapi(resendRoute, async (c) => {
      const { invitation_code } = c.req.valid("param");
      await resendLinkInvitation(
        actorContext(c),
        cfg.direction,
        invitation_code,
        c.req.valid("json").invitePath,
      );
      return c.json({ success: true as const }, 200);
    });
    app.openapi(linkRoute, async (c) => {
      const inviteeId = c.req.valid("query")[cfg.inviteeParam]!;
      await linkByInvitation(actorContext(c), cfg.direction, c.req.valid("param").invitation_code, inviteeId);
      return c.json({ success: true as const }, 200);
    });
  };
}

export const codesRoute = authedRoute(
  {
    method: "post",
    path: "/v1/invitations/providers/codes",
    tags: ["Invitations to providers"],
    summary: "Create invitation code by organization slug",
    description:
      "The reusable code providers link with to the organization with this slug (providers.manage there). " +
      "The same code comes back until it is deleted; nothing is sent.",
    request: {
      query: z.object({
        slug: z.string().min(1).max(100).openapi({ description: "Slug of the organization" }),
      }),
    },
    responses: { 200: jsonContent(z.object({ success: z.literal(true), invitationCode: Uuid })) },
  },
  { idempotent: true },
);

const registerProviderInvitations = linkInvitationRoutes(PROVIDERS);

export function register(app: App) {
  app.openapi(codesRoute, async (c) => {
    const invitationCode = await reusableProviderCode(actorContext(c), c.req.valid("query").slug);
    return c.json({ success: true as const, invitationCode }, 200);
  });
  registerProviderInvitations(app);
}
