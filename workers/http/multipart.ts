/**
 * Reading multipart/form-data uploads: the named file parts, with a missing required part reported as
 * a validation failure on that field and an unparseable body as 400 `invalid_request_body`, never 500.
 */
import { badRequest } from "../../shared/errors";

export async function multipartFiles<const Required extends string, const Optional extends string = never>(
  request: Request,
  required: readonly Required[],
  optional: readonly Optional[] = [],
): Promise<Record<Required, File> & Partial<Record<Optional, File>>> {
  if (!/^multipart\/form-data/i.test(request.headers.get("content-type") ?? "")) {
    throw badRequest(
      "invalid_request_body",
      `Send the files as multipart/form-data (fields: ${[...required, ...optional].join(", ")})`,
    );
  }
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw badRequest("invalid_request_body", "The multipart body could not be parsed");
  }
  const out: Record<string, File> = {};
  const missing: { path: string; message: string; code: string }[] = [];
  for (const name of [...required, ...optional]) {
    const part = form.get(name);
    // A browser sends an empty, unnamed part for a file input left blank: that is "no file".
    if (part instanceof File && !(part.size === 0 && part.name === "")) out[name] = part;
    else if (part !== null && !(part instanceof File)) {
      missing.push({ path: name, message: `${name} must be a file`, code: "invalid_type" });
    } else if ((required as readonly string[]).includes(name)) {
      missing.push({ path: name, message: `${name} is required`, code: "invalid_type" });
    }
  }
  if (missing.length > 0) throw badRequest("validation_failed", "The request is invalid", missing);
  return out as Record<Required, File> & Partial<Record<Optional, File>>;
}

/** The OpenAPI request body of a multipart upload with these file parts. */
export function multipartBody(parts: Record<string, { required?: boolean; description?: string }>) {
  return {
    required: true,
    content: {
      "multipart/form-data": {
        schema: {
          type: "object" as const,
          required: Object.entries(parts)
            .filter(([, p]) => p.required)
            .map(([name]) => name),
          properties: Object.fromEntries(
            Object.entries(parts).map(([name, p]) => [
              name,
              {
                type: "string" as const,
                format: "binary",
                ...(p.description && { description: p.description }),
              },
            ]),
          ),
        },
      },
    },
  };
}
