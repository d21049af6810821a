// The error envelope as an OpenAPI schema and the shared set of error responses every route spreads.
import { z } from "@hono/zod-openapi";

export const ErrorEnvelope = z
  .object({
    error: z.string().openapi({ example: "validation_failed", description: "Stable machine-readable code" }),
    message: z.string().openapi({ example: "The request is invalid" }),
    details: z.unknown().optional(),
    requestId: z.string().optional(),
  })
  .openapi("Error");

const response = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorEnvelope } },
});

export const errorResponses = {
  400: response("Invalid input (`validation_failed` with field paths in `details`, or a domain code)"),
  401: response("Missing, expired, forged or revoked access token"),
  403: response("The caller's role lacks the permission"),
  404: response("Not found, or not visible to the caller's organizations"),
  409: response("Conflict (duplicate, or a concurrent request with the same Idempotency-Key)"),
  422: response("Well-formed but not processable (e.g. `idempotency_key_reused`)"),
  429: response("Too many requests"),
  500: response("Unexpected error; the request id identifies it in the logs"),
} as const;

export const publicErrorResponses = {
  400: errorResponses[400],
  404: errorResponses[404],
  409: errorResponses[409],
  422: errorResponses[422],
  429: errorResponses[429],
  500: errorResponses[500],
} as const;

export const bearerSecurity = [{ bearerAuth: [] }];

export const idempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({ description: "Retries with the same key and body return the stored response (kept 24 h)" }),
});

export const SuccessResponse = z
  .object({ success: z.literal(true), message: z.string().optional() })
  .openapi("Success");
