/**
 * The JOBS handler of invoice ZIP imports. A message is one slice [from, to) of a task's documents, in
 * archive order (shared/invoices/zip-plan). Each document is received exactly as an upload of it would
 * be (`receiveInvoices`, acting as the user who started the import, a group of documents at a time) and its outcome recorded as a task
 * item: created (with the invoice), duplicate (with the existing invoice) or failed (code and message).
 *
 * Once per entry under at-least-once delivery:
 * - entries that already have a task item are skipped (primary key (task_id, name));
 * - a created invoice and its task item are written in one atomic batch (receiveInvoices' `alsoWrite`),
 *   so there is no moment at which the invoice exists and its entry still looks unprocessed;
 * - duplicates and failures write nothing else, so recording them afterwards is safe, and
 *   `onConflictDoNothing` keeps the first outcome when two deliveries race.
 * Counters are recomputed from the task items (never incremented), so a redelivered or concurrent slice
 * cannot count twice, and the task completes when every document has its item.
 *
 * Every AppError is that file's failure. Anything else (storage down, a bug) stops the slice once the
 * entries in flight finish and lets the message retry; a slice whose retries run out reaches the
 * dead-letter queue, where `abandonZipImportSlice` records its remaining entries as failed so that the
 * task still completes.
 */
import { and, eq, gte, inArray, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { batchWrite, inChunks, insertRows } from "../../db/client";
import { files, taskItems, tasks } from "../../db/schema";
import { type AppError, isAppError } from "../../shared/errors";
import type { ZipImportDocument } from "../../shared/invoices/zip-plan";
import { readEntry, type ZipEntry } from "../../shared/zip";
import { nowIso, type ServiceContext } from "../services/context";
import { receiveInvoices } from "../services/invoices";
import { notifyImportProgress } from "../services/notifications";
import {
  readZipImportArchive,
  type TaskRow,
  type ZipImportJob,
  zipImportInput,
} from "../services/zip-imports";

type TaskItem = typeof taskItems.$inferInsert;

const asStatement = (query: unknown) => query as BatchItem<"sqlite">;

interface Slice {
  task: TaskRow;
  archive: Uint8Array;
  /** The slice's documents without a task item yet. */
  pending: ZipImportDocument[];
}

async function failTask(ctx: ServiceContext, taskId: string, error: string) {
  const now = nowIso();
  await ctx.db
    .update(tasks)
    .set({ status: "failed", error, completedAt: now, updatedAt: now })
    .where(and(eq(tasks.id, taskId), inArray(tasks.status, ["pending", "processing"])));
}

async function loadSlice(ctx: ServiceContext, job: ZipImportJob): Promise<Slice | { skipped: string }> {
  const [task] = await ctx.db.select().from(tasks).where(eq(tasks.id, job.taskId)).limit(1);
  // No task: it was removed because its messages could not all be queued.
  if (!task) return { skipped: "task_not_found" };
  if (task.status === "completed" || task.status === "failed") return { skipped: `task_${task.status}` };
  const [file] = await ctx.db
    .select({ storageKey: files.storageKey })
    .from(files)
    .where(eq(files.id, zipImportInput(task).fileId))
    .limit(1);
  const read = file ? await readZipImportArchive(ctx, file) : null;
  if (!read) {
    await failTask(ctx, task.id, "The uploaded ZIP is no longer available");
    return { skipped: "archive_missing" };
  }
  const documents = read.plan.documents.slice(job.from, job.to);
  const names = documents.map((d) => d.xml.name);
  const done = new Set<string>();
  for (const chunk of inChunks(names)) {
    const rows = await ctx.db
      .select({ name: taskItems.name })
      .from(taskItems)
      .where(and(eq(taskItems.taskId, task.id), inArray(taskItems.name, chunk)));
    for (const row of rows) done.add(row.name);
  }
  return { task, archive: read.bytes, pending: documents.filter((d) => !done.has(d.xml.name)) };
}

/** Recomputes the counters from the task items in one atomic batch, completing the task when all are in. */
async function recount(ctx: ServiceContext, taskId: string) {
  const items = (status?: TaskItem["status"]): SQL<number> =>
    sql`(select count(*) from ${taskItems} where ${taskItems.taskId} = ${taskId}${
      status ? sql` and ${taskItems.status} = ${status}` : sql``
    })`;
  const now = nowIso();
  await batchWrite(ctx.db, [
    asStatement(
      ctx.db
        .update(tasks)
        .set({
          processed: items(),
          created: items("created"),
          duplicates: items("duplicate"),
          failed: items("failed"),
          updatedAt: now,
        })
        .where(eq(tasks.id, taskId)),
    ),
    asStatement(
      ctx.db
        .update(tasks)
        .set({ status: "completed", completedAt: now, updatedAt: now })
        .where(
          and(
            eq(tasks.id, taskId),
            inArray(tasks.status, ["pending", "processing"]),
            gte(tasks.processed, tasks.total),
          ),
        ),
    ),
  ]);
}

async function entryFile(archive: Uint8Array, entry: ZipEntry, type: string): Promise<File> {
  const bytes = await readEntry(archive, entry);
  return new File([bytes as Uint8Array<ArrayBuffer>], entry.name.slice(entry.name.lastIndexOf("/") + 1), {
    type,
  });
}

const existingId = (error: AppError) =>
  (error.details as { existingId?: string } | undefined)?.existingId ?? null;

/**
 * Documents are received in groups (one `receiveInvoices` call: shared look-ups, one duplicate query,
 * one database batch), bounded by count and by bytes so that a group of large files stays well inside a
 * Worker's 128 MB beside the archive.
 */
const GROUP_DOCUMENTS = 50;
const GROUP_BYTES = 16 * 1024 * 1024;

function groups(pending: ZipImportDocument[]): ZipImportDocument[][] {
  const out: ZipImportDocument[][] = [];
  let current: ZipImportDocument[] = [];
  let bytes = 0;
  for (const doc of pending) {
    const size = doc.xml.size + (doc.pdf?.size ?? 0);
    if (current.length > 0 && (current.length === GROUP_DOCUMENTS || bytes + size > GROUP_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(doc);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

async function importGroup(
  ctx: ServiceContext,
  task: TaskRow,
  archive: Uint8Array,
  docs: ZipImportDocument[],
) {
  const input = zipImportInput(task);
  const item = (
    doc: ZipImportDocument,
    fields: Omit<TaskItem, "taskId" | "name" | "createdAt">,
  ): TaskItem => ({
    taskId: task.id,
    name: doc.xml.name,
    createdAt: nowIso(),
    ...fields,
  });
  const failure = (doc: ZipImportDocument, error: AppError) =>
    error.code === "duplicate_invoice"
      ? item(doc, {
          status: "duplicate",
          invoiceId: existingId(error),
          errorCode: error.code,
          message: error.message,
        })
      : item(doc, { status: "failed", errorCode: error.code, message: error.message });

  let refused: TaskItem[];
  try {
    const outcomes = await receiveInvoices(
      // The import acts as the user who started it: one who has lost access since fails every entry
      // left with the access error, as their own upload would.
      { ...ctx, userId: task.createdByUserId ?? "" },
      {
        organizationId: input.organizationId ?? undefined,
        providerId: input.providerId ?? undefined,
        source: "zip",
        taskId: task.id,
      },
      docs.map((doc) => ({
        readFiles: async () => ({
          xml: await entryFile(archive, doc.xml, "application/xml"),
          pdf: doc.pdf ? await entryFile(archive, doc.pdf, "application/pdf") : undefined,
        }),
        alsoWrite: (invoice) => [
          asStatement(
            ctx.db.insert(taskItems).values(item(doc, { status: "created", invoiceId: invoice.id })),
          ),
        ],
      })),
    );
    refused = outcomes.flatMap((outcome, i) => (outcome.ok ? [] : [failure(docs[i]!, outcome.error)]));
  } catch (error) {
    // Refused as a whole (the creator lost access): every document of the group fails with that reason.
    if (!isAppError(error)) throw error;
    refused = docs.map((doc) => failure(doc, error));
  }
  // Refusals wrote nothing else, so recording them after the fact is safe.
  if (refused.length > 0) {
    await batchWrite(
      ctx.db,
      insertRows(ctx.db, taskItems, refused).map((statement) =>
        asStatement((statement as unknown as { onConflictDoNothing(): unknown }).onConflictDoNothing()),
      ),
    );
  }
}

export async function runZipImport(ctx: ServiceContext, job: ZipImportJob) {
  const slice = await loadSlice(ctx, job);
  if ("skipped" in slice) {
    if (slice.skipped === "archive_missing") await notifyImportProgress(ctx, job.taskId);
    return slice;
  }
  const { task, archive, pending } = slice;
  await ctx.db
    .update(tasks)
    .set({ status: "processing", updatedAt: nowIso() })
    .where(and(eq(tasks.id, task.id), eq(tasks.status, "pending")));

  const started = Date.now();
  let unexpected: { error: unknown } | undefined;
  for (const group of groups(pending)) {
    try {
      await importGroup(ctx, task, archive, group);
    } catch (error) {
      unexpected = { error };
      break;
    }
  }
  await recount(ctx, task.id);
  await notifyImportProgress(ctx, task.id);
  if (unexpected) throw unexpected.error;
  return { taskId: task.id, from: job.from, to: job.to, received: pending.length, ms: Date.now() - started };
}

/** A dead-lettered slice: its entries still without an item become failures, so the task completes. */
export async function abandonZipImportSlice(ctx: ServiceContext, job: ZipImportJob) {
  const slice = await loadSlice(ctx, job);
  if ("skipped" in slice) return slice;
  const now = nowIso();
  await batchWrite(
    ctx.db,
    slice.pending.map((doc) =>
      asStatement(
        ctx.db
          .insert(taskItems)
          .values({
            taskId: slice.task.id,
            name: doc.xml.name,
            status: "failed",
            errorCode: "import_failed",
            message: "This file could not be processed after several attempts; upload it again",
            createdAt: now,
          })
          .onConflictDoNothing(),
      ),
    ),
  );
  await recount(ctx, slice.task.id);
  await notifyImportProgress(ctx, slice.task.id);
  return { taskId: slice.task.id, abandoned: slice.pending.length };
}
