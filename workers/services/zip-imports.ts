/**
 * Invoice ZIP imports, the request side: `startZipImport` checks the caller, the uploaded archive
 * (read and listed now, so a hostile or unusable archive is refused before anything is queued), creates
 * the task and queues its documents in slices on JOBS; workers/jobs/zip-import.ts receives them.
 * Also the task reads: `getTask` (tenant-checked through the task's organization) and its failures.
 */
import { and, asc, count, eq } from "drizzle-orm";
import { files, taskItems, tasks } from "../../db/schema";
import { badRequest, notFound } from "../../shared/errors";
import { planZipImport, type ZipImportPlan } from "../../shared/invoices/zip-plan";
import { type Page, pageOffset } from "../../shared/pagination";
import { listEntries } from "../../shared/zip";
import type { JobMessage } from "../env";
import { type ActorContext, nowIso, type ServiceContext } from "./context";
import { callerAccess } from "./invoices";
import { requireOrgAccess } from "./tenancy";

export type TaskRow = typeof tasks.$inferSelect;

/**
 * Documents per JOBS message. A document costs about ten storage calls (access, sides, preferences,
 * duplicate check, R2 head and put of the XML and PDF, the batch), so a consumer invocation of 10
 * messages stays near 5,000 calls, half the Workers subrequest limit, and a few seconds of work; a
 * retried message repeats at most 50 already-recorded look-ups. Smaller slices would mostly add
 * archive reads (each message reads the archive from R2 again).
 */
export const ZIP_IMPORT_BATCH_SIZE = 50;
/** `sendBatch` takes at most 100 messages. */
const SEND_BATCH_LIMIT = 100;
/** Ignored entry names kept on the task; the count covers the rest. */
const IGNORED_NAMES_KEPT = 100;

/** What a ZIP import task works on (its `input` column). */
export interface ZipImportTaskInput {
  fileId: string;
  organizationId: string | null;
  providerId: string | null;
  /** Accepted as the seed defines them and kept; they have no effect yet (see the route). */
  createOrganizationProspects: boolean;
  createProducts: boolean;
  ignored: string[];
  ignoredCount: number;
}

export const zipImportInput = (task: TaskRow) => task.input as unknown as ZipImportTaskInput;

export type ZipImportJob = Extract<JobMessage, { type: "invoices.zip_import" }>;

/** The archive's bytes and what the import does with them, or null when the object is gone. */
/**
 * The archive this isolate read last. An import's slices arrive one after another, often in the same
 * isolate, and re-reading and re-listing a 25 MiB archive for each one cost more than the documents'
 * own parsing. The key is the SHA-256 of the bytes, so the copy can never be stale; one entry bounds
 * the memory at one archive; and the object's existence is still checked on every use, so a purged
 * archive is never served from here.
 */
let lastArchive: { storageKey: string; bytes: Uint8Array; plan: ZipImportPlan } | undefined;

export async function readZipImportArchive(
  ctx: ServiceContext,
  file: Pick<typeof files.$inferSelect, "storageKey">,
): Promise<{ bytes: Uint8Array; plan: ZipImportPlan } | null> {
  if (lastArchive?.storageKey === file.storageKey) {
    return (await ctx.env.FILES.head(file.storageKey)) ? lastArchive : null;
  }
  const object = await ctx.env.FILES.get(file.storageKey);
  if (!object) return null;
  const bytes = new Uint8Array(await object.arrayBuffer());
  lastArchive = { storageKey: file.storageKey, bytes, plan: planZipImport(listEntries(bytes)) };
  return lastArchive;
}

export interface StartZipImportInput {
  organizationId?: string;
  providerId?: string;
  fileId: string;
  createOrganizationProspects: boolean;
  createProducts: boolean;
}

export async function startZipImport(ctx: ActorContext, input: StartZipImportInput): Promise<TaskRow> {
  const { organizationId } = await callerAccess(ctx, input);
  // Only the caller's own organization's files: another organization's id is not found, as anywhere.
  const [file] = await ctx.db
    .select()
    .from(files)
    .where(and(eq(files.id, input.fileId), eq(files.organizationId, organizationId)))
    .limit(1);
  if (!file) throw notFound("File");
  if (file.type !== "invoices_upload_zip") {
    throw badRequest(
      "invalid_file_type",
      "invoicesUploadZipId must be a file uploaded with type invoices_upload_zip",
      { type: file.type },
    );
  }
  const archive = await readZipImportArchive(ctx, file);
  if (!archive) throw notFound("File content");
  const { documents, ignored } = archive.plan;
  if (documents.length === 0) {
    throw badRequest("zip_no_xml", "The zip file must contain XML files.", { ignored: ignored.slice(0, 10) });
  }

  const now = nowIso();
  const taskInput: ZipImportTaskInput = {
    fileId: file.id,
    organizationId: input.organizationId ?? null,
    providerId: input.providerId ?? null,
    createOrganizationProspects: input.createOrganizationProspects,
    createProducts: input.createProducts,
    ignored: ignored.slice(0, IGNORED_NAMES_KEPT),
    ignoredCount: ignored.length,
  };
  const task: TaskRow = {
    id: crypto.randomUUID(),
    organizationId,
    type: "invoices_zip_import",
    status: "pending",
    input: taskInput as unknown as Record<string, unknown>,
    total: documents.length,
    processed: 0,
    created: 0,
    duplicates: 0,
    failed: 0,
    error: null,
    createdByUserId: ctx.userId,
    completedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.db.insert(tasks).values(task);

  const messages: { body: JobMessage }[] = [];
  for (let from = 0; from < documents.length; from += ZIP_IMPORT_BATCH_SIZE) {
    const to = Math.min(from + ZIP_IMPORT_BATCH_SIZE, documents.length);
    messages.push({ body: { type: "invoices.zip_import", taskId: task.id, from, to } });
  }
  try {
    for (let i = 0; i < messages.length; i += SEND_BATCH_LIMIT) {
      await ctx.env.JOBS.sendBatch(messages.slice(i, i + SEND_BATCH_LIMIT));
    }
  } catch (error) {
    // Without all its messages the task could never complete: remove it and let the caller retry.
    // Slices already queued find no task and do nothing.
    await ctx.db.delete(tasks).where(eq(tasks.id, task.id));
    throw error;
  }
  ctx.log("info", "zip import queued", {
    taskId: task.id,
    documents: documents.length,
    messages: messages.length,
  });
  return task;
}

/** A task the actor may read (`invoices.read` in the task's organization), or 404. */
export async function getTask(ctx: ActorContext, id: string): Promise<TaskRow> {
  const [task] = await ctx.db.select().from(tasks).where(eq(tasks.id, id)).limit(1);
  if (!task) throw notFound("Task");
  await requireOrgAccess(ctx, task.organizationId, "invoices.read", "Task");
  return task;
}

/** One page of the task's failed entries, by name. */
export async function taskFailures(ctx: ServiceContext, taskId: string, page: Page) {
  const failed = and(eq(taskItems.taskId, taskId), eq(taskItems.status, "failed"));
  const [rows, [total]] = await Promise.all([
    ctx.db
      .select({ name: taskItems.name, code: taskItems.errorCode, message: taskItems.message })
      .from(taskItems)
      .where(failed)
      .orderBy(asc(taskItems.name))
      .limit(page.limit)
      .offset(pageOffset(page)),
    ctx.db.select({ n: count() }).from(taskItems).where(failed),
  ]);
  return { rows, totalCount: total?.n ?? 0 };
}

export function presentTask(task: TaskRow, failures: Awaited<ReturnType<typeof taskFailures>>, page: Page) {
  const input = zipImportInput(task);
  return {
    id: task.id,
    type: task.type,
    status: task.status,
    total: task.total,
    processed: task.processed,
    created: task.created,
    duplicates: task.duplicates,
    failed: task.failed,
    failures: failures.rows.map((f) => ({ name: f.name, code: f.code ?? "", message: f.message ?? "" })),
    failuresTotalPages: Math.ceil(failures.totalCount / page.limit),
    ignored: input.ignored,
    ignoredCount: input.ignoredCount,
    error: task.error,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    completedAt: task.completedAt,
  };
}
