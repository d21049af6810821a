// POST /v1/invitations/users, GET /v1/invitations/users and POST /v1/invitations/users/join: invite
// people to organizations with a role, show an invitation to its holder, and accept it.
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { SuccessResponse } from "../openapi/errors";
import { authedRoute, publicRoute } from "../openapi/route";
import { jsonBody, jsonContent, Uuid } from "../openapi/schemas";
import { actorContext, serviceContext } from "../services/context";
import {
  getUserInvitation,
  inviteUsers,
  joinWithUserInvitation,
  MAX_RECIPIENTS,
  USER_CODE_PLACEHOLDER,
  USER_INVITATION_TTL_DAYS,
} from "../services/invitations";

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A path of the web app (not a URL: messages never point at another site) holding the placeholder that
 * the code replaces.
 */
export const invitePath = (placeholder: string) =>
  z
    .string()
    .max(500)
    .regex(
      new RegExp(`^/(?!/)\\S*${escapeRegExp(placeholder)}\\S*$`),
      `a path starting with / that contains ${placeholder}`,
    )
    .openapi({ description: "Path for the invitation URL", example: `/invitations/${placeholder}` });

const InviteUsers = z
  .object({
    organizationIds: z.array(Uuid).min(1).max(50),
    role: z
      .enum(["accountant", "collaborator", "client"])
      .openapi({ description: "Role of the user in the organization" }),
    whatsappNumbers: z.array(z.string().max(32)).max(MAX_RECIPIENTS).optional().openapi({
      description: "12 digits with country code (^[0-9]{12}$); invalid ones are reported in failedInvites",
    }),
    emailAddresses: z
      .array(z.string().max(320))
      .max(MAX_RECIPIENTS)
      .optional()
      .openapi({ description: "Invalid ones are reported in failedInvites" }),
    invitePath: invitePath(USER_CODE_PLACEHOLDER),
  })
  .strict()
  .openapi("InviteUsers");

const FailedInvite = z.object({
  recipient: z.string(),
  channel: z.enum(["email", "whatsapp"]),
  reason: z.enum(["invalid_email_address", "invalid_whatsapp_number", "duplicate", "already_member"]),
});

export const inviteRoute = authedRoute(
  {
    method: "post",
    path: "/v1/invitations/users",
    tags: ["Invitations to users"],
    summary: "Invite users to join an organization",
    description:
      `Needs invitations.manage in every listed organization, and a role the caller may grant. Each ` +
      `recipient gets its own single-use code, valid ${USER_INVITATION_TTL_DAYS} days, by email or ` +
      `WhatsApp. At most ${MAX_RECIPIENTS} recipients; none at all → 400 \`no_recipients\`.`,
    request: { body: jsonBody(InviteUsers) },
    responses: {
      200: jsonContent(
        z.object({
          success: z.literal(true),
          invitesSent: z.number().int(),
          failedInvites: z.array(FailedInvite),
        }),
      ),
    },
  },
  { idempotent: true },
);

const CodeQuery = z.object({
  user_invitation_code: z
    .string()
    .min(1)
    .max(100)
    .openapi({ description: "The code from the invitation link" }),
});

export const getRoute = publicRoute({
  method: "get",
  path: "/v1/invitations/users",
  tags: ["Invitations to users"],
  summary: "Get invitation information sent to a user",
  description:
    "The organizations and role of a pending invitation. Used or expired codes → 404 `invitation_not_found`.",
  request: { query: CodeQuery },
  responses: {
    200: jsonContent(
      z.array(
        z.object({
          organization: z.object({ id: Uuid, name: z.string() }),
          role: z.enum(["accountant", "collaborator", "client"]),
          expiresAt: z.string(),
        }),
      ),
    ),
  },
});

export const joinRoute = authedRoute(
  {
    method: "post",
    path: "/v1/invitations/users/join",
    tags: ["Invitations to users"],
    summary: "Join an organization or organizations",
    description:
      "The caller joins every organization of the invitation with its role (a current member keeps the " +
      "higher of its role and the invited one). The code works once.",
    request: { query: CodeQuery },
    responses: { 200: jsonContent(SuccessResponse) },
  },
  { idempotent: true },
);

export function register(app: App) {
  app.openapi(inviteRoute, async (c) => {
    const result = await inviteUsers(actorContext(c), c.req.valid("json"));
    return c.json({ success: true as const, ...result }, 200);
  });
  app.openapi(getRoute, async (c) => {
    return c.json(await getUserInvitation(serviceContext(c), c.req.valid("query").user_invitation_code), 200);
  });
  app.openapi(joinRoute, async (c) => {
    await joinWithUserInvitation(actorContext(c), c.req.valid("query").user_invitation_code);
    return c.json({ success: true as const }, 200);
  });
}
