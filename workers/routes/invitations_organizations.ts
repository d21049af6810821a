// /v1/invitations/organizations: a provider invites client organizations; the mirror of the
// invitations to providers, declared once in invitations_providers.ts.
import { linkInvitationRoutes } from "./invitations_providers";

export const register = linkInvitationRoutes({
  direction: "organization",
  plural: "organizations",
  tag: "Invitations to organizations",
  inviterParam: "provider_id",
  inviteeParam: "organization_id",
  invitee: "organization",
  inviter: "provider",
});
