/**
 * The one permission map. Every organization-scoped route names the permission it needs and the
 * tenancy check consults this table; nothing else decides what a role may do. The seed names the
 * permissions but not the mapping, so the mapping below is ours:
 * - owner: everything, including membership management and deletion.
 * - accountant: runs the books: invoices, payments, preferences, billing and balance, but cannot delete
 *   the organization or manage owners.
 * - collaborator: day-to-day invoice work, no billing, preferences or credentials.
 * - assistant: uploads and reads invoices and files.
 * - client: a customer's view: reads what concerns it.
 * - readonly: reads everything an accountant can read, changes nothing.
 */
import type { Role } from "../db/schema/organizations";

export const PERMISSIONS = [
  "organization.read",
  "organization.update",
  "organization.delete",
  "organization.credentials", // FIEL / CSD upload and removal
  "members.read",
  "members.manage",
  "invitations.manage",
  "providers.read",
  "providers.manage",
  "invoices.read",
  "invoices.write",
  "invoices.status", // "update invoice statuses"
  "invoices.stamp",
  "items.read", // the product catalog used for stamping
  "items.manage",
  "invoice_preferences.read",
  "invoice_preferences.update",
  "files.read",
  "files.write",
  "balance.read",
  "balance.manage",
  "billing.manage",
  "subscriptions.manage",
  "ledger.read",
  "notifications.read",
  "webhooks.manage", // outgoing webhook subscriptions and their deliveries
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ALL = new Set<Permission>(PERMISSIONS);
const READS: Permission[] = [
  "organization.read",
  "members.read",
  "providers.read",
  "invoices.read",
  "invoice_preferences.read",
  "items.read",
  "files.read",
  "balance.read",
  "ledger.read",
  "notifications.read",
];

const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  owner: ALL,
  accountant: new Set<Permission>([
    ...READS,
    "organization.update",
    "organization.credentials",
    "invitations.manage",
    "providers.manage",
    "invoices.write",
    "invoices.status",
    "invoices.stamp",
    "items.manage",
    "invoice_preferences.update",
    "files.write",
    "balance.manage",
    "billing.manage",
    "subscriptions.manage",
    "webhooks.manage",
  ]),
  collaborator: new Set<Permission>([
    ...READS.filter((p) => p !== "balance.read"),
    "invoices.write",
    "invoices.status",
    "invoices.stamp",
    "items.manage",
    "providers.manage",
    "files.write",
  ]),
  assistant: new Set<Permission>([
    "organization.read",
    "providers.read",
    "invoices.read",
    "invoices.write",
    "files.read",
    "files.write",
    "notifications.read",
  ]),
  client: new Set<Permission>(["organization.read", "invoices.read", "files.read", "notifications.read"]),
  readonly: new Set<Permission>(READS),
};

export const roleCan = (role: Role, permission: Permission): boolean =>
  ROLE_PERMISSIONS[role].has(permission);

/** Roles a member with `role` may grant to others (nobody grants more than they hold). */
export function assignableRoles(role: Role): Role[] {
  if (role === "owner") return ["owner", "accountant", "collaborator", "assistant", "client", "readonly"];
  if (role === "accountant") return ["accountant", "collaborator", "assistant", "client", "readonly"];
  return [];
}
