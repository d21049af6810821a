-- Keeps invoice_rollups and invoice_item_rollups (db/schema/invoice-rollups.ts) equal to the invoices
-- they count. Every insert, delete and relevant update of an invoice adds or takes out its share on each
-- side that has a tenant, and under each distinct product key of its concepts; a concept whose key is
-- new to its invoice adds the invoice under that key, and the last concept of a key takes it out. Each
-- trigger runs in the statement that fired it. All of them use the same key expressions; the inserts
-- at the end count what existed before this migration.
CREATE TRIGGER invoice_rollups_insert AFTER INSERT ON invoices BEGIN
  insert into invoice_rollups (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select NEW.organization_id,
      'organization',
      NEW.archived_by_organization_at is not null,
      NEW.status_code,
      NEW.is_cancelled,
      coalesce(NEW.payment_method, ''),
      case when NEW.currency_code <> 'MXN' and NEW.exchange_rate is not null then NEW.currency_code else '' end,
      case when NEW.currency_code <> 'MXN' and NEW.exchange_rate is not null then NEW.exchange_rate else '' end,
      case when NEW.due_micros <> 0 and NEW.payment_due_at is not null then substr(NEW.payment_due_at, 1, 10) else '' end,
      1,
      (NEW.is_read = 0),
      (NEW.due_micros / 1000000),
      (NEW.due_micros % 1000000),
      (NEW.paid_micros / 1000000),
      (NEW.paid_micros % 1000000),
      (NEW.gross_price_micros / 1000000),
      (NEW.gross_price_micros % 1000000)
    where NEW.organization_id is not null
    on conflict (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  insert into invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select NEW.organization_id,
      'organization',
      k.item_key,
      NEW.archived_by_organization_at is not null,
      NEW.status_code,
      NEW.is_cancelled,
      coalesce(NEW.payment_method, ''),
      case when NEW.currency_code <> 'MXN' and NEW.exchange_rate is not null then NEW.currency_code else '' end,
      case when NEW.currency_code <> 'MXN' and NEW.exchange_rate is not null then NEW.exchange_rate else '' end,
      case when NEW.due_micros <> 0 and NEW.payment_due_at is not null then substr(NEW.payment_due_at, 1, 10) else '' end,
      1,
      (NEW.is_read = 0),
      (NEW.due_micros / 1000000),
      (NEW.due_micros % 1000000),
      (NEW.paid_micros / 1000000),
      (NEW.paid_micros % 1000000),
      (NEW.gross_price_micros / 1000000),
      (NEW.gross_price_micros % 1000000)
    from (select distinct item_key from invoice_items where invoice_id = NEW.id and item_key is not null) k
    where NEW.organization_id is not null
    on conflict (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  insert into invoice_rollups (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select NEW.provider_id,
      'provider',
      NEW.archived_by_provider_at is not null,
      NEW.status_code,
      NEW.is_cancelled,
      coalesce(NEW.payment_method, ''),
      case when NEW.currency_code <> 'MXN' and NEW.exchange_rate is not null then NEW.currency_code else '' end,
      case when NEW.currency_code <> 'MXN' and NEW.exchange_rate is not null then NEW.exchange_rate else '' end,
      case when NEW.due_micros <> 0 and NEW.payment_due_at is not null then substr(NEW.payment_due_at, 1, 10) else '' end,
      1,
      (NEW.is_read = 0),
      (NEW.due_micros / 1000000),
      (NEW.due_micros % 1000000),
      (NEW.paid_micros / 1000000),
      (NEW.paid_micros % 1000000),
      (NEW.gross_price_micros / 1000000),
      (NEW.gross_price_micros % 1000000)
    where NEW.provider_id is not null
    on conflict (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  insert into invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select NEW.provider_id,
      'provider',
      k.item_key,
      NEW.archived_by_provider_at is not null,
      NEW.status_code,
      NEW.is_cancelled,
      coalesce(NEW.payment_method, ''),
      case when NEW.currency_code <> 'MXN' and NEW.exchange_rate is not null then NEW.currency_code else '' end,
      case when NEW.currency_code <> 'MXN' and NEW.exchange_rate is not null then NEW.exchange_rate else '' end,
      case when NEW.due_micros <> 0 and NEW.payment_due_at is not null then substr(NEW.payment_due_at, 1, 10) else '' end,
      1,
      (NEW.is_read = 0),
      (NEW.due_micros / 1000000),
      (NEW.due_micros % 1000000),
      (NEW.paid_micros / 1000000),
      (NEW.paid_micros % 1000000),
      (NEW.gross_price_micros / 1000000),
      (NEW.gross_price_micros % 1000000)
    from (select distinct item_key from invoice_items where invoice_id = NEW.id and item_key is not null) k
    where NEW.provider_id is not null
    on conflict (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
END;
--> statement-breakpoint
CREATE TRIGGER invoice_rollups_delete AFTER DELETE ON invoices BEGIN
  insert into invoice_rollups (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select OLD.organization_id,
      'organization',
      OLD.archived_by_organization_at is not null,
      OLD.status_code,
      OLD.is_cancelled,
      coalesce(OLD.payment_method, ''),
      case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.currency_code else '' end,
      case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.exchange_rate else '' end,
      case when OLD.due_micros <> 0 and OLD.payment_due_at is not null then substr(OLD.payment_due_at, 1, 10) else '' end,
      -1,
      -(OLD.is_read = 0),
      -(OLD.due_micros / 1000000),
      -(OLD.due_micros % 1000000),
      -(OLD.paid_micros / 1000000),
      -(OLD.paid_micros % 1000000),
      -(OLD.gross_price_micros / 1000000),
      -(OLD.gross_price_micros % 1000000)
    where OLD.organization_id is not null
    on conflict (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  delete from invoice_rollups where tenant_id = (OLD.organization_id) and side = ('organization') and archived = (OLD.archived_by_organization_at is not null) and status_code = (OLD.status_code) and is_cancelled = (OLD.is_cancelled) and payment_method = (coalesce(OLD.payment_method, '')) and currency_code = (case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.currency_code else '' end) and exchange_rate = (case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.exchange_rate else '' end) and due_at = (case when OLD.due_micros <> 0 and OLD.payment_due_at is not null then substr(OLD.payment_due_at, 1, 10) else '' end) and invoices = 0;
  insert into invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select OLD.organization_id,
      'organization',
      k.item_key,
      OLD.archived_by_organization_at is not null,
      OLD.status_code,
      OLD.is_cancelled,
      coalesce(OLD.payment_method, ''),
      case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.currency_code else '' end,
      case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.exchange_rate else '' end,
      case when OLD.due_micros <> 0 and OLD.payment_due_at is not null then substr(OLD.payment_due_at, 1, 10) else '' end,
      -1,
      -(OLD.is_read = 0),
      -(OLD.due_micros / 1000000),
      -(OLD.due_micros % 1000000),
      -(OLD.paid_micros / 1000000),
      -(OLD.paid_micros % 1000000),
      -(OLD.gross_price_micros / 1000000),
      -(OLD.gross_price_micros % 1000000)
    from (select distinct item_key from invoice_items where invoice_id = OLD.id and item_key is not null) k
    where OLD.organization_id is not null
    on conflict (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  delete from invoice_item_rollups where tenant_id = (OLD.organization_id) and side = ('organization') and archived = (OLD.archived_by_organization_at is not null) and status_code = (OLD.status_code) and is_cancelled = (OLD.is_cancelled) and payment_method = (coalesce(OLD.payment_method, '')) and currency_code = (case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.currency_code else '' end) and exchange_rate = (case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.exchange_rate else '' end) and due_at = (case when OLD.due_micros <> 0 and OLD.payment_due_at is not null then substr(OLD.payment_due_at, 1, 10) else '' end) and invoices = 0
    and item_key in (select item_key from invoice_items where invoice_id = OLD.id);
  insert into invoice_rollups (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select OLD.provider_id,
      'provider',
      OLD.archived_by_provider_at is not null,
      OLD.status_code,
      OLD.is_cancelled,
      coalesce(OLD.payment_method, ''),
      case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.currency_code else '' end,
      case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.exchange_rate else '' end,
      case when OLD.due_micros <> 0 and OLD.payment_due_at is not null then substr(OLD.payment_due_at, 1, 10) else '' end,
      -1,
      -(OLD.is_read = 0),
      -(OLD.due_micros / 1000000),
      -(OLD.due_micros % 1000000),
      -(OLD.paid_micros / 1000000),
      -(OLD.paid_micros % 1000000),
      -(OLD.gross_price_micros / 1000000),
      -(OLD.gross_price_micros % 1000000)
    where OLD.provider_id is not null
    on conflict (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  delete from invoice_rollups where tenant_id = (OLD.provider_id) and side = ('provider') and archived = (OLD.archived_by_provider_at is not null) and status_code = (OLD.status_code) and is_cancelled = (OLD.is_cancelled) and payment_method = (coalesce(OLD.payment_method, '')) and currency_code = (case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.currency_code else '' end) and exchange_rate = (case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.exchange_rate else '' end) and due_at = (case when OLD.due_micros <> 0 and OLD.payment_due_at is not null then substr(OLD.payment_due_at, 1, 10) else '' end) and invoices = 0;
  insert into invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select OLD.provider_id,
      'provider',
      k.item_key,
      OLD.archived_by_provider_at is not null,
      OLD.status_code,
      OLD.is_cancelled,
      coalesce(OLD.payment_method, ''),
      case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.currency_code else '' end,
      case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.exchange_rate else '' end,
      case when OLD.due_micros <> 0 and OLD.payment_due_at is not null then substr(OLD.payment_due_at, 1, 10) else '' end,
      -1,
      -(OLD.is_read = 0),
      -(OLD.due_micros / 1000000),
      -(OLD.due_micros % 1000000),
      -(OLD.paid_micros / 1000000),
      -(OLD.paid_micros % 1000000),
      -(OLD.gross_price_micros / 1000000),
      -(OLD.gross_price_micros % 1000000)
    from (select distinct item_key from invoice_items where invoice_id = OLD.id and item_key is not null) k
    where OLD.provider_id is not null
    on conflict (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  delete from invoice_item_rollups where tenant_id = (OLD.provider_id) and side = ('provider') and archived = (OLD.archived_by_provider_at is not null) and status_code = (OLD.status_code) and is_cancelled = (OLD.is_cancelled) and payment_method = (coalesce(OLD.payment_method, '')) and currency_code = (case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.currency_code else '' end) and exchange_rate = (case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.exchange_rate else '' end) and due_at = (case when OLD.due_micros <> 0 and OLD.payment_due_at is not null then substr(OLD.payment_due_at, 1, 10) else '' end) and invoices = 0
    and item_key in (select item_key from invoice_items where invoice_id = OLD.id);
END;
--> statement-breakpoint
CREATE TRIGGER invoice_rollups_update AFTER UPDATE OF organization_id, provider_id, archived_by_organization_at, archived_by_provider_at, status_code, is_cancelled, payment_method, currency_code, exchange_rate, payment_due_at, due_micros, paid_micros, gross_price_micros, is_read ON invoices BEGIN
  insert into invoice_rollups (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select OLD.organization_id,
      'organization',
      OLD.archived_by_organization_at is not null,
      OLD.status_code,
      OLD.is_cancelled,
      coalesce(OLD.payment_method, ''),
      case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.currency_code else '' end,
      case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.exchange_rate else '' end,
      case when OLD.due_micros <> 0 and OLD.payment_due_at is not null then substr(OLD.payment_due_at, 1, 10) else '' end,
      -1,
      -(OLD.is_read = 0),
      -(OLD.due_micros / 1000000),
      -(OLD.due_micros % 1000000),
      -(OLD.paid_micros / 1000000),
      -(OLD.paid_micros % 1000000),
      -(OLD.gross_price_micros / 1000000),
      -(OLD.gross_price_micros % 1000000)
    where OLD.organization_id is not null
    on conflict (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  delete from invoice_rollups where tenant_id = (OLD.organization_id) and side = ('organization') and archived = (OLD.archived_by_organization_at is not null) and status_code = (OLD.status_code) and is_cancelled = (OLD.is_cancelled) and payment_method = (coalesce(OLD.payment_method, '')) and currency_code = (case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.currency_code else '' end) and exchange_rate = (case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.exchange_rate else '' end) and due_at = (case when OLD.due_micros <> 0 and OLD.payment_due_at is not null then substr(OLD.payment_due_at, 1, 10) else '' end) and invoices = 0;
  insert into invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select OLD.organization_id,
      'organization',
      k.item_key,
      OLD.archived_by_organization_at is not null,
      OLD.status_code,
      OLD.is_cancelled,
      coalesce(OLD.payment_method, ''),
      case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.currency_code else '' end,
      case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.exchange_rate else '' end,
      case when OLD.due_micros <> 0 and OLD.payment_due_at is not null then substr(OLD.payment_due_at, 1, 10) else '' end,
      -1,
      -(OLD.is_read = 0),
      -(OLD.due_micros / 1000000),
      -(OLD.due_micros % 1000000),
      -(OLD.paid_micros / 1000000),
      -(OLD.paid_micros % 1000000),
      -(OLD.gross_price_micros / 1000000),
      -(OLD.gross_price_micros % 1000000)
    from (select distinct item_key from invoice_items where invoice_id = OLD.id and item_key is not null) k
    where OLD.organization_id is not null
    on conflict (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  delete from invoice_item_rollups where tenant_id = (OLD.organization_id) and side = ('organization') and archived = (OLD.archived_by_organization_at is not null) and status_code = (OLD.status_code) and is_cancelled = (OLD.is_cancelled) and payment_method = (coalesce(OLD.payment_method, '')) and currency_code = (case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.currency_code else '' end) and exchange_rate = (case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.exchange_rate else '' end) and due_at = (case when OLD.due_micros <> 0 and OLD.payment_due_at is not null then substr(OLD.payment_due_at, 1, 10) else '' end) and invoices = 0
    and item_key in (select item_key from invoice_items where invoice_id = OLD.id);
  insert into invoice_rollups (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select OLD.provider_id,
      'provider',
      OLD.archived_by_provider_at is not null,
      OLD.status_code,
      OLD.is_cancelled,
      coalesce(OLD.payment_method, ''),
      case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.currency_code else '' end,
      case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.exchange_rate else '' end,
      case when OLD.due_micros <> 0 and OLD.payment_due_at is not null then substr(OLD.payment_due_at, 1, 10) else '' end,
      -1,
      -(OLD.is_read = 0),
      -(OLD.due_micros / 1000000),
      -(OLD.due_micros % 1000000),
      -(OLD.paid_micros / 1000000),
      -(OLD.paid_micros % 1000000),
      -(OLD.gross_price_micros / 1000000),
      -(OLD.gross_price_micros % 1000000)
    where OLD.provider_id is not null
    on conflict (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  delete from invoice_rollups where tenant_id = (OLD.provider_id) and side = ('provider') and archived = (OLD.archived_by_provider_at is not null) and status_code = (OLD.status_code) and is_cancelled = (OLD.is_cancelled) and payment_method = (coalesce(OLD.payment_method, '')) and currency_code = (case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.currency_code else '' end) and exchange_rate = (case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.exchange_rate else '' end) and due_at = (case when OLD.due_micros <> 0 and OLD.payment_due_at is not null then substr(OLD.payment_due_at, 1, 10) else '' end) and invoices = 0;
  insert into invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select OLD.provider_id,
      'provider',
      k.item_key,
      OLD.archived_by_provider_at is not null,
      OLD.status_code,
      OLD.is_cancelled,
      coalesce(OLD.payment_method, ''),
      case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.currency_code else '' end,
      case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.exchange_rate else '' end,
      case when OLD.due_micros <> 0 and OLD.payment_due_at is not null then substr(OLD.payment_due_at, 1, 10) else '' end,
      -1,
      -(OLD.is_read = 0),
      -(OLD.due_micros / 1000000),
      -(OLD.due_micros % 1000000),
      -(OLD.paid_micros / 1000000),
      -(OLD.paid_micros % 1000000),
      -(OLD.gross_price_micros / 1000000),
      -(OLD.gross_price_micros % 1000000)
    from (select distinct item_key from invoice_items where invoice_id = OLD.id and item_key is not null) k
    where OLD.provider_id is not null
    on conflict (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  delete from invoice_item_rollups where tenant_id = (OLD.provider_id) and side = ('provider') and archived = (OLD.archived_by_provider_at is not null) and status_code = (OLD.status_code) and is_cancelled = (OLD.is_cancelled) and payment_method = (coalesce(OLD.payment_method, '')) and currency_code = (case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.currency_code else '' end) and exchange_rate = (case when OLD.currency_code <> 'MXN' and OLD.exchange_rate is not null then OLD.exchange_rate else '' end) and due_at = (case when OLD.due_micros <> 0 and OLD.payment_due_at is not null then substr(OLD.payment_due_at, 1, 10) else '' end) and invoices = 0
    and item_key in (select item_key from invoice_items where invoice_id = OLD.id);
  insert into invoice_rollups (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select NEW.organization_id,
      'organization',
      NEW.archived_by_organization_at is not null,
      NEW.status_code,
      NEW.is_cancelled,
      coalesce(NEW.payment_method, ''),
      case when NEW.currency_code <> 'MXN' and NEW.exchange_rate is not null then NEW.currency_code else '' end,
      case when NEW.currency_code <> 'MXN' and NEW.exchange_rate is not null then NEW.exchange_rate else '' end,
      case when NEW.due_micros <> 0 and NEW.payment_due_at is not null then substr(NEW.payment_due_at, 1, 10) else '' end,
      1,
      (NEW.is_read = 0),
      (NEW.due_micros / 1000000),
      (NEW.due_micros % 1000000),
      (NEW.paid_micros / 1000000),
      (NEW.paid_micros % 1000000),
      (NEW.gross_price_micros / 1000000),
      (NEW.gross_price_micros % 1000000)
    where NEW.organization_id is not null
    on conflict (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  insert into invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select NEW.organization_id,
      'organization',
      k.item_key,
      NEW.archived_by_organization_at is not null,
      NEW.status_code,
      NEW.is_cancelled,
      coalesce(NEW.payment_method, ''),
      case when NEW.currency_code <> 'MXN' and NEW.exchange_rate is not null then NEW.currency_code else '' end,
      case when NEW.currency_code <> 'MXN' and NEW.exchange_rate is not null then NEW.exchange_rate else '' end,
      case when NEW.due_micros <> 0 and NEW.payment_due_at is not null then substr(NEW.payment_due_at, 1, 10) else '' end,
      1,
      (NEW.is_read = 0),
      (NEW.due_micros / 1000000),
      (NEW.due_micros % 1000000),
      (NEW.paid_micros / 1000000),
      (NEW.paid_micros % 1000000),
      (NEW.gross_price_micros / 1000000),
      (NEW.gross_price_micros % 1000000)
    from (select distinct item_key from invoice_items where invoice_id = NEW.id and item_key is not null) k
    where NEW.organization_id is not null
    on conflict (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  insert into invoice_rollups (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select NEW.provider_id,
      'provider',
      NEW.archived_by_provider_at is not null,
      NEW.status_code,
      NEW.is_cancelled,
      coalesce(NEW.payment_method, ''),
      case when NEW.currency_code <> 'MXN' and NEW.exchange_rate is not null then NEW.currency_code else '' end,
      case when NEW.currency_code <> 'MXN' and NEW.exchange_rate is not null then NEW.exchange_rate else '' end,
      case when NEW.due_micros <> 0 and NEW.payment_due_at is not null then substr(NEW.payment_due_at, 1, 10) else '' end,
      1,
      (NEW.is_read = 0),
      (NEW.due_micros / 1000000),
      (NEW.due_micros % 1000000),
      (NEW.paid_micros / 1000000),
      (NEW.paid_micros % 1000000),
      (NEW.gross_price_micros / 1000000),
      (NEW.gross_price_micros % 1000000)
    where NEW.provider_id is not null
    on conflict (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  insert into invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select NEW.provider_id,
      'provider',
      k.item_key,
      NEW.archived_by_provider_at is not null,
      NEW.status_code,
      NEW.is_cancelled,
      coalesce(NEW.payment_method, ''),
      case when NEW.currency_code <> 'MXN' and NEW.exchange_rate is not null then NEW.currency_code else '' end,
      case when NEW.currency_code <> 'MXN' and NEW.exchange_rate is not null then NEW.exchange_rate else '' end,
      case when NEW.due_micros <> 0 and NEW.payment_due_at is not null then substr(NEW.payment_due_at, 1, 10) else '' end,
      1,
      (NEW.is_read = 0),
      (NEW.due_micros / 1000000),
      (NEW.due_micros % 1000000),
      (NEW.paid_micros / 1000000),
      (NEW.paid_micros % 1000000),
      (NEW.gross_price_micros / 1000000),
      (NEW.gross_price_micros % 1000000)
    from (select distinct item_key from invoice_items where invoice_id = NEW.id and item_key is not null) k
    where NEW.provider_id is not null
    on conflict (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
END;
--> statement-breakpoint
CREATE TRIGGER invoice_item_rollups_insert AFTER INSERT ON invoice_items BEGIN
  insert into invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select i.organization_id,
      'organization',
      NEW.item_key,
      i.archived_by_organization_at is not null,
      i.status_code,
      i.is_cancelled,
      coalesce(i.payment_method, ''),
      case when i.currency_code <> 'MXN' and i.exchange_rate is not null then i.currency_code else '' end,
      case when i.currency_code <> 'MXN' and i.exchange_rate is not null then i.exchange_rate else '' end,
      case when i.due_micros <> 0 and i.payment_due_at is not null then substr(i.payment_due_at, 1, 10) else '' end,
      1,
      (i.is_read = 0),
      (i.due_micros / 1000000),
      (i.due_micros % 1000000),
      (i.paid_micros / 1000000),
      (i.paid_micros % 1000000),
      (i.gross_price_micros / 1000000),
      (i.gross_price_micros % 1000000)
    from invoices i
    where i.id = NEW.invoice_id and i.organization_id is not null and NEW.item_key is not null
      and not exists (select 1 from invoice_items o where o.invoice_id = NEW.invoice_id and o.item_key = NEW.item_key and o.rowid <> NEW.rowid)
    on conflict (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  insert into invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select i.provider_id,
      'provider',
      NEW.item_key,
      i.archived_by_provider_at is not null,
      i.status_code,
      i.is_cancelled,
      coalesce(i.payment_method, ''),
      case when i.currency_code <> 'MXN' and i.exchange_rate is not null then i.currency_code else '' end,
      case when i.currency_code <> 'MXN' and i.exchange_rate is not null then i.exchange_rate else '' end,
      case when i.due_micros <> 0 and i.payment_due_at is not null then substr(i.payment_due_at, 1, 10) else '' end,
      1,
      (i.is_read = 0),
      (i.due_micros / 1000000),
      (i.due_micros % 1000000),
      (i.paid_micros / 1000000),
      (i.paid_micros % 1000000),
      (i.gross_price_micros / 1000000),
      (i.gross_price_micros % 1000000)
    from invoices i
    where i.id = NEW.invoice_id and i.provider_id is not null and NEW.item_key is not null
      and not exists (select 1 from invoice_items o where o.invoice_id = NEW.invoice_id and o.item_key = NEW.item_key and o.rowid <> NEW.rowid)
    on conflict (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
END;
--> statement-breakpoint
CREATE TRIGGER invoice_item_rollups_delete AFTER DELETE ON invoice_items BEGIN
  insert into invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select i.organization_id,
      'organization',
      OLD.item_key,
      i.archived_by_organization_at is not null,
      i.status_code,
      i.is_cancelled,
      coalesce(i.payment_method, ''),
      case when i.currency_code <> 'MXN' and i.exchange_rate is not null then i.currency_code else '' end,
      case when i.currency_code <> 'MXN' and i.exchange_rate is not null then i.exchange_rate else '' end,
      case when i.due_micros <> 0 and i.payment_due_at is not null then substr(i.payment_due_at, 1, 10) else '' end,
      -1,
      -(i.is_read = 0),
      -(i.due_micros / 1000000),
      -(i.due_micros % 1000000),
      -(i.paid_micros / 1000000),
      -(i.paid_micros % 1000000),
      -(i.gross_price_micros / 1000000),
      -(i.gross_price_micros % 1000000)
    from invoices i
    where i.id = OLD.invoice_id and i.organization_id is not null and OLD.item_key is not null
      and not exists (select 1 from invoice_items o where o.invoice_id = OLD.invoice_id and o.item_key = OLD.item_key)
    on conflict (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  delete from invoice_item_rollups where invoices = 0 and side = 'organization' and item_key = OLD.item_key
    and tenant_id = (select organization_id from invoices where id = OLD.invoice_id);
  insert into invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select i.provider_id,
      'provider',
      OLD.item_key,
      i.archived_by_provider_at is not null,
      i.status_code,
      i.is_cancelled,
      coalesce(i.payment_method, ''),
      case when i.currency_code <> 'MXN' and i.exchange_rate is not null then i.currency_code else '' end,
      case when i.currency_code <> 'MXN' and i.exchange_rate is not null then i.exchange_rate else '' end,
      case when i.due_micros <> 0 and i.payment_due_at is not null then substr(i.payment_due_at, 1, 10) else '' end,
      -1,
      -(i.is_read = 0),
      -(i.due_micros / 1000000),
      -(i.due_micros % 1000000),
      -(i.paid_micros / 1000000),
      -(i.paid_micros % 1000000),
      -(i.gross_price_micros / 1000000),
      -(i.gross_price_micros % 1000000)
    from invoices i
    where i.id = OLD.invoice_id and i.provider_id is not null and OLD.item_key is not null
      and not exists (select 1 from invoice_items o where o.invoice_id = OLD.invoice_id and o.item_key = OLD.item_key)
    on conflict (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  delete from invoice_item_rollups where invoices = 0 and side = 'provider' and item_key = OLD.item_key
    and tenant_id = (select provider_id from invoices where id = OLD.invoice_id);
END;
--> statement-breakpoint
CREATE TRIGGER invoice_item_rollups_update AFTER UPDATE OF invoice_id, item_key ON invoice_items
  WHEN OLD.invoice_id <> NEW.invoice_id OR OLD.item_key IS NOT NEW.item_key BEGIN
  insert into invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select i.organization_id,
      'organization',
      OLD.item_key,
      i.archived_by_organization_at is not null,
      i.status_code,
      i.is_cancelled,
      coalesce(i.payment_method, ''),
      case when i.currency_code <> 'MXN' and i.exchange_rate is not null then i.currency_code else '' end,
      case when i.currency_code <> 'MXN' and i.exchange_rate is not null then i.exchange_rate else '' end,
      case when i.due_micros <> 0 and i.payment_due_at is not null then substr(i.payment_due_at, 1, 10) else '' end,
      -1,
      -(i.is_read = 0),
      -(i.due_micros / 1000000),
      -(i.due_micros % 1000000),
      -(i.paid_micros / 1000000),
      -(i.paid_micros % 1000000),
      -(i.gross_price_micros / 1000000),
      -(i.gross_price_micros % 1000000)
    from invoices i
    where i.id = OLD.invoice_id and i.organization_id is not null and OLD.item_key is not null
      and not exists (select 1 from invoice_items o where o.invoice_id = OLD.invoice_id and o.item_key = OLD.item_key)
    on conflict (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  delete from invoice_item_rollups where invoices = 0 and side = 'organization' and item_key = OLD.item_key
    and tenant_id = (select organization_id from invoices where id = OLD.invoice_id);
  insert into invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select i.provider_id,
      'provider',
      OLD.item_key,
      i.archived_by_provider_at is not null,
      i.status_code,
      i.is_cancelled,
      coalesce(i.payment_method, ''),
      case when i.currency_code <> 'MXN' and i.exchange_rate is not null then i.currency_code else '' end,
      case when i.currency_code <> 'MXN' and i.exchange_rate is not null then i.exchange_rate else '' end,
      case when i.due_micros <> 0 and i.payment_due_at is not null then substr(i.payment_due_at, 1, 10) else '' end,
      -1,
      -(i.is_read = 0),
      -(i.due_micros / 1000000),
      -(i.due_micros % 1000000),
      -(i.paid_micros / 1000000),
      -(i.paid_micros % 1000000),
      -(i.gross_price_micros / 1000000),
      -(i.gross_price_micros % 1000000)
    from invoices i
    where i.id = OLD.invoice_id and i.provider_id is not null and OLD.item_key is not null
      and not exists (select 1 from invoice_items o where o.invoice_id = OLD.invoice_id and o.item_key = OLD.item_key)
    on conflict (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  delete from invoice_item_rollups where invoices = 0 and side = 'provider' and item_key = OLD.item_key
    and tenant_id = (select provider_id from invoices where id = OLD.invoice_id);
  insert into invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select i.organization_id,
      'organization',
      NEW.item_key,
      i.archived_by_organization_at is not null,
      i.status_code,
      i.is_cancelled,
      coalesce(i.payment_method, ''),
      case when i.currency_code <> 'MXN' and i.exchange_rate is not null then i.currency_code else '' end,
      case when i.currency_code <> 'MXN' and i.exchange_rate is not null then i.exchange_rate else '' end,
      case when i.due_micros <> 0 and i.payment_due_at is not null then substr(i.payment_due_at, 1, 10) else '' end,
      1,
      (i.is_read = 0),
      (i.due_micros / 1000000),
      (i.due_micros % 1000000),
      (i.paid_micros / 1000000),
      (i.paid_micros % 1000000),
      (i.gross_price_micros / 1000000),
      (i.gross_price_micros % 1000000)
    from invoices i
    where i.id = NEW.invoice_id and i.organization_id is not null and NEW.item_key is not null
      and not exists (select 1 from invoice_items o where o.invoice_id = NEW.invoice_id and o.item_key = NEW.item_key and o.rowid <> NEW.rowid)
    on conflict (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
  insert into invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
    select i.provider_id,
      'provider',
      NEW.item_key,
      i.archived_by_provider_at is not null,
      i.status_code,
      i.is_cancelled,
      coalesce(i.payment_method, ''),
      case when i.currency_code <> 'MXN' and i.exchange_rate is not null then i.currency_code else '' end,
      case when i.currency_code <> 'MXN' and i.exchange_rate is not null then i.exchange_rate else '' end,
      case when i.due_micros <> 0 and i.payment_due_at is not null then substr(i.payment_due_at, 1, 10) else '' end,
      1,
      (i.is_read = 0),
      (i.due_micros / 1000000),
      (i.due_micros % 1000000),
      (i.paid_micros / 1000000),
      (i.paid_micros % 1000000),
      (i.gross_price_micros / 1000000),
      (i.gross_price_micros % 1000000)
    from invoices i
    where i.id = NEW.invoice_id and i.provider_id is not null and NEW.item_key is not null
      and not exists (select 1 from invoice_items o where o.invoice_id = NEW.invoice_id and o.item_key = NEW.item_key and o.rowid <> NEW.rowid)
    on conflict (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at) do update set invoices = invoices + excluded.invoices, unread = unread + excluded.unread, due_units = due_units + excluded.due_units, due_rest = due_rest + excluded.due_rest, paid_units = paid_units + excluded.paid_units, paid_rest = paid_rest + excluded.paid_rest, gross_units = gross_units + excluded.gross_units, gross_rest = gross_rest + excluded.gross_rest;
END;
--> statement-breakpoint
INSERT INTO invoice_rollups (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
  select organization_id, 'organization', invoices.archived_by_organization_at is not null, invoices.status_code, invoices.is_cancelled, coalesce(invoices.payment_method, ''), case when invoices.currency_code <> 'MXN' and invoices.exchange_rate is not null then invoices.currency_code else '' end, case when invoices.currency_code <> 'MXN' and invoices.exchange_rate is not null then invoices.exchange_rate else '' end, case when invoices.due_micros <> 0 and invoices.payment_due_at is not null then substr(invoices.payment_due_at, 1, 10) else '' end,
    count(*), sum(is_read = 0), sum(due_micros / 1000000), sum(due_micros % 1000000), sum(paid_micros / 1000000), sum(paid_micros % 1000000), sum(gross_price_micros / 1000000), sum(gross_price_micros % 1000000)
  from invoices where organization_id is not null
  group by 1, 2, 3, 4, 5, 6, 7, 8, 9;
--> statement-breakpoint
INSERT INTO invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
  select organization_id, 'organization', k.item_key, invoices.archived_by_organization_at is not null, invoices.status_code, invoices.is_cancelled, coalesce(invoices.payment_method, ''), case when invoices.currency_code <> 'MXN' and invoices.exchange_rate is not null then invoices.currency_code else '' end, case when invoices.currency_code <> 'MXN' and invoices.exchange_rate is not null then invoices.exchange_rate else '' end, case when invoices.due_micros <> 0 and invoices.payment_due_at is not null then substr(invoices.payment_due_at, 1, 10) else '' end,
    count(*), sum(is_read = 0), sum(due_micros / 1000000), sum(due_micros % 1000000), sum(paid_micros / 1000000), sum(paid_micros % 1000000), sum(gross_price_micros / 1000000), sum(gross_price_micros % 1000000)
  from invoices join (select distinct invoice_id, item_key from invoice_items where item_key is not null) k on k.invoice_id = invoices.id
  where organization_id is not null
  group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10;
--> statement-breakpoint
INSERT INTO invoice_rollups (tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
  select provider_id, 'provider', invoices.archived_by_provider_at is not null, invoices.status_code, invoices.is_cancelled, coalesce(invoices.payment_method, ''), case when invoices.currency_code <> 'MXN' and invoices.exchange_rate is not null then invoices.currency_code else '' end, case when invoices.currency_code <> 'MXN' and invoices.exchange_rate is not null then invoices.exchange_rate else '' end, case when invoices.due_micros <> 0 and invoices.payment_due_at is not null then substr(invoices.payment_due_at, 1, 10) else '' end,
    count(*), sum(is_read = 0), sum(due_micros / 1000000), sum(due_micros % 1000000), sum(paid_micros / 1000000), sum(paid_micros % 1000000), sum(gross_price_micros / 1000000), sum(gross_price_micros % 1000000)
  from invoices where provider_id is not null
  group by 1, 2, 3, 4, 5, 6, 7, 8, 9;
--> statement-breakpoint
INSERT INTO invoice_item_rollups (tenant_id, side, item_key, archived, status_code, is_cancelled, payment_method, currency_code, exchange_rate, due_at, invoices, unread, due_units, due_rest, paid_units, paid_rest, gross_units, gross_rest)
  select provider_id, 'provider', k.item_key, invoices.archived_by_provider_at is not null, invoices.status_code, invoices.is_cancelled, coalesce(invoices.payment_method, ''), case when invoices.currency_code <> 'MXN' and invoices.exchange_rate is not null then invoices.currency_code else '' end, case when invoices.currency_code <> 'MXN' and invoices.exchange_rate is not null then invoices.exchange_rate else '' end, case when invoices.due_micros <> 0 and invoices.payment_due_at is not null then substr(invoices.payment_due_at, 1, 10) else '' end,
    count(*), sum(is_read = 0), sum(due_micros / 1000000), sum(due_micros % 1000000), sum(paid_micros / 1000000), sum(paid_micros % 1000000), sum(gross_price_micros / 1000000), sum(gross_price_micros % 1000000)
  from invoices join (select distinct invoice_id, item_key from invoice_items where item_key is not null) k on k.invoice_id = invoices.id
  where provider_id is not null
  group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10;
