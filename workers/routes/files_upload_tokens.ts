// POST /v1/files/upload-tokens (a 10-minute capability to upload one type of file into one
// organization) and POST /v1/files/uploads (the direct upload it authorizes, without a bearer token).
import { z } from "@hono/zod-openapi";
import { unauthorized } from "../../shared/errors";
import type { App } from "../app";
import { ErrorEnvelope } from "../openapi/errors";
import { authedRoute, publicRoute } from "../openapi/route";
import { IsoDate, jsonContent } from "../openapi/schemas";
import { actorContext, serviceContext } from "../services/context";
import { issueUploadToken, presentFile, UPLOAD_TOKEN_TTL_SECONDS, uploadWithToken } from "../services/files";
import { FileSchema, UploadQuery } from "./files";

const UPLOAD_PATH = "/v1/files/uploads";

export const issueRoute = authedRoute({
  method: "post",
  path: "/v1/files/upload-tokens",
  tags: ["Files"],
  summary: "Get a token for client uploads",
  description: [
    `The token is valid for ${UPLOAD_TOKEN_TTL_SECONDS / 60} minutes and lets whoever holds it upload one file`,
    "of `type` into the organization as the caller, with `POST /v1/files/uploads` and no access token.",
    "Needs the files.write permission, and again when the file arrives.",
  ].join(" "),
  request: { query: UploadQuery },
  responses: {
    200: jsonContent(
      z
        .object({
          uploadToken: z.string().openapi({ description: "Send as `Authorization: Upload <uploadToken>`" }),
          expiresAt: IsoDate,
          uploadUrl: z.string().openapi({ description: "Where to POST the file's bytes" }),
        })
        .openapi("UploadToken"),
    ),
  },
});

// No Idempotency-Key: its replays are scoped by the authenticated user, which this route only learns
// from the token; a retried upload adds a row but never a second object (storage is content-addressed).
export const uploadRoute = publicRoute({
  method: "post",
  path: UPLOAD_PATH,
  tags: ["Files"],
  summary: "Upload a file with an upload token",
  description: [
    "Direct upload from a client (e.g. a browser) that holds an upload token instead of an access token.",
    "Send the token as `Authorization: Upload <uploadToken>` (kept out of the URL, so it never lands in",
    "logs or browser history) and the file's raw bytes as the body with its Content-Type; name the file",
    "with `?filename=` or an `X-Filename` header (percent-encoded UTF-8). The organization and type come",
    "from the token; the formats and limits are those of `POST /v1/files` for that type.",
    "401 `invalid_upload_token` for a missing, forged or foreign token (an access token is not an upload",
    "token), 401 `upload_token_expired` after 10 minutes; 404 when the token's user no longer belongs to",
    "the organization and 403 when the user's role no longer allows uploads.",
  ].join(" "),
  request: {
    query: z.object({
      filename: z.string().max(255).optional().openapi({ description: "The file's name" }),
    }),
    body: {
      required: true,
      content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
    },
  },
  responses: {
    201: jsonContent(z.object({ success: z.literal(true), message: z.string(), file: FileSchema }), "Stored"),
    401: jsonContent(ErrorEnvelope, "`invalid_upload_token` or `upload_token_expired`"),
    403: jsonContent(ErrorEnvelope, "The token's user may no longer upload files to the organization"),
    413: jsonContent(ErrorEnvelope, "`file_too_large`: over the limit of the type"),
  },
});

/** The request body as a File, read no further than one byte past the limit. */
async function rawFile(request: Request, name: string, maxBytes: number): Promise<File> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
      if (size > maxBytes) {
        await reader.cancel();
        break;
      }
    }
  }
  return new File(chunks, name, { type: request.headers.get("content-type") ?? "" });
}

function headerFilename(value: string | undefined): string {
  if (!value) return "";
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function register(app: App) {
  app.openapi(issueRoute, async (c) => {
    const { type, organization_id } = c.req.valid("query");
    const token = await issueUploadToken(actorContext(c), { organizationId: organization_id, type });
    return c.json({ ...token, uploadUrl: `${new URL(c.req.url).origin}${UPLOAD_PATH}` }, 200);
  });

  app.openapi(uploadRoute, async (c) => {
    const match = c.req.header("authorization")?.match(/^Upload\s+(\S+)$/i);
    if (!match?.[1]) {
      throw unauthorized("Send the upload token as `Authorization: Upload <token>`", "invalid_upload_token");
    }
    const name = c.req.valid("query").filename ?? headerFilename(c.req.header("x-filename"));
    const length = c.req.header("content-length");
    const file = await uploadWithToken(serviceContext(c), match[1], {
      requestSize: length ? Number(length) : undefined,
      readFile: (maxBytes) => rawFile(c.req.raw, name, maxBytes),
    });
    return c.json(
      {
        success: true as const,
        message: "File uploaded successfully",
        file: presentFile(file, new URL(c.req.url).origin),
      },
      201,
    );
  });
}
