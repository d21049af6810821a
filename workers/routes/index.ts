// Every route module, registered in one place. A route missing here is missing from the API and the docs.
import type { App } from "../app";
import * as apiInvoices from "./api_invoices";
import * as authPasswordReset from "./auth_password_reset";
import * as balance from "./balance";
import * as billingAccount from "./billing_account";
import * as billingCheckout from "./billing_checkout";
import * as billingInvoices from "./billing_invoices";
import * as billingPaymentMethods from "./billing_payment_methods";
import * as billingSubscriptions from "./billing_subscriptions";
import * as catalogs from "./catalogs";
import * as catalogsEfos from "./catalogs_efos";
import * as catalogsGeo from "./catalogs_geo";
import * as catalogsSearch from "./catalogs_search";
import * as consumables from "./consumables";
import * as devOutbox from "./dev_outbox";
import * as docs from "./docs";
import * as files from "./files";
import * as filesUploadTokens from "./files_upload_tokens";
import * as health from "./health";
import * as invitationsOrganizations from "./invitations_organizations";
import * as invitationsProviders from "./invitations_providers";
import * as invitationsUsers from "./invitations_users";
import * as invoiceItems from "./invoice_items";
import * as invoicePayments from "./invoice_payments";
import * as invoicePaymentsStamp from "./invoice_payments_stamp";
import * as invoicesBulk from "./invoices_bulk";
import * as invoicesCancel from "./invoices_cancel";
import * as invoicesCreate from "./invoices_create";
import * as invoicesDownload from "./invoices_download";
import * as invoicesEvidence from "./invoices_evidence";
import * as invoicesGet from "./invoices_get";
import * as invoicesList from "./invoices_list";
import * as invoicesListValues from "./invoices_list_values";
import * as invoicesStamp from "./invoices_stamp";
import * as invoicesUpdate from "./invoices_update";
import * as invoicesZipUploads from "./invoices_zip_uploads";
import * as items from "./items";
import * as notifications from "./notifications";
import * as notificationsSocket from "./notifications_socket";
import * as oauthLogout from "./oauth_logout";
import * as oauthToken from "./oauth_token";
import * as organizationsCreate from "./organizations_create";
import * as organizationsCsd from "./organizations_csd";
import * as organizationsDeletion from "./organizations_deletion";
import * as organizationsGet from "./organizations_get";
import * as organizationsHealth from "./organizations_health";
import * as organizationsInvoicePreferences from "./organizations_invoice_preferences";
import * as organizationsList from "./organizations_list";
import * as organizationsStampingProvider from "./organizations_stamping_provider";
import * as organizationsUpdate from "./organizations_update";
import * as payments from "./payments";
import * as providerOrganizations from "./provider_organizations";
import * as tasksGet from "./tasks_get";
import * as taxpayersInvoices from "./taxpayers_invoices";
import * as trustedDevicesCreate from "./trusted_devices_create";
import * as userOrganizationsList from "./user_organizations_list";
import * as userOrganizationsUpdate from "./user_organizations_update";
import * as usersCreate from "./users_create";
import * as usersMe from "./users_me";
import * as usersVerification from "./users_verification";
import * as webhookSubscriptions from "./webhook_subscriptions";
import * as webhookSubscriptionsDeliveries from "./webhook_subscriptions_deliveries";
import * as webhooksFacturapi from "./webhooks_facturapi";
import * as webhooksStripe from "./webhooks_stripe";

const modules: Array<{ register(app: App): void }> = [
  health,
  docs,
  oauthToken,
  oauthLogout,
  authPasswordReset,
  trustedDevicesCreate,
  usersCreate,
  usersMe,
  usersVerification,
  organizationsCreate,
  organizationsGet,
  organizationsUpdate,
  organizationsDeletion,
  organizationsHealth,
  userOrganizationsList,
  userOrganizationsUpdate,
  organizationsList,
  invitationsUsers,
  invitationsProviders,
  invitationsOrganizations,
  providerOrganizations,
  files,
  filesUploadTokens,
  organizationsInvoicePreferences,
  organizationsCsd,
  organizationsStampingProvider,
  invoicesCreate,
  invoicesBulk,
  invoicesZipUploads,
  tasksGet,
  invoicesDownload,
  invoicesEvidence,
  invoicePayments,
  payments,
  invoicesList,
  invoicesListValues,
  taxpayersInvoices,
  apiInvoices,
  invoicesStamp,
  invoicePaymentsStamp,
  balance,
  catalogs,
  catalogsSearch,
  catalogsGeo,
  catalogsEfos,
  consumables,
  items,
  webhookSubscriptions,
  webhookSubscriptionsDeliveries,
  invoicesCancel,
  webhooksFacturapi,
  webhooksStripe,
  billingCheckout,
  billingAccount,
  billingSubscriptions,
  billingPaymentMethods,
  billingInvoices,
  notificationsSocket,
  notifications,
  // Static /v1/invoices/… paths must be registered above this one: Hono matches in order.
  invoicesGet,
  invoicesUpdate,
  invoiceItems,
  devOutbox,
];

export function registerRoutes(app: App) {
  for (const m of modules) m.register(app);
}
