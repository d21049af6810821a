// GET /v1/tasks/{id}: a background task's progress and results (ZIP imports).
import { z } from "@hono/zod-openapi";
import { TASK_STATUSES } from "../../db/schema/invoices";
import { pageQuery } from "../../shared/pagination";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { IdParam, IsoDate, jsonContent, Uuid } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { getTask, presentTask, taskFailures } from "../services/zip-imports";

export const TaskSchema = z
  .object({
    id: Uuid,
    type: z.enum(["invoices_zip_import"]),
    status: z.enum(TASK_STATUSES).openapi({
      description:
        "pending (queued), processing, completed (every document has an outcome) or failed (the archive could not be read)",
    }),
    total: z.number().int().openapi({ description: "Documents to process (the XML entries)" }),
    processed: z.number().int().openapi({ description: "created + duplicates + failed" }),
    created: z.number().int(),
    duplicates: z.number().int().openapi({ description: "UUIDs already in the inbox (or twice in the ZIP)" }),
    failed: z.number().int(),
    failures: z
      .array(z.object({ name: z.string(), code: z.string(), message: z.string() }))
      .openapi({ description: "The failed entries by name, one page (`page`, `limit`)" }),
    failuresTotalPages: z.number().int(),
    ignored: z.array(z.string()).openapi({
      description: "Entries that are not documents (first 100): PDFs without an XML, other files",
    }),
    ignoredCount: z.number().int(),
    error: z.string().nullable().openapi({ description: "Why the task failed as a whole" }),
    createdAt: IsoDate,
    updatedAt: IsoDate,
    completedAt: IsoDate.nullable(),
  })
  .openapi("Task");

export const route = authedRoute({
  method: "get",
  path: "/v1/tasks/{id}",
  tags: ["Tasks"],
  summary: "Get a task's progress and results",
  description:
    "Counters move as the background job processes the documents. `page` and `limit` page through `failures` (default 100 per page).",
  request: { params: IdParam, query: pageQuery([10, 30, 60, 100], 100) },
  responses: { 200: jsonContent(TaskSchema) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const ctx = actorContext(c);
    const page = c.req.valid("query");
    const task = await getTask(ctx, c.req.valid("param").id);
    return c.json(presentTask(task, await taskFailures(ctx, task.id, page), page), 200);
  });
}
