/**
 * The Hono application: one place that wires the request context, the error envelope, the OpenAPI
 * document and every route. Routes live one per file under routes/ and register themselves through
 * `routes/index.ts`.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { AppError, isAppError } from "../shared/errors";
import type { HonoEnv } from "./env";
import { requestContext } from "./middleware/request-context";
import { registerRoutes } from "./routes";

export type App = OpenAPIHono<HonoEnv>;

function zodDetails(error: ZodError) {
  return error.issues.map((issue) => ({
    path: issue.path.join("."),
    message: issue.message,
    code: issue.code,
  }));
}

// Matched by shape: the validator may come from another copy of hono than ours (bundling), so
// `instanceof HTTPException` is not reliable.
const isHttpException = (e: unknown): e is HTTPException =>
  typeof e === "object" && e !== null && typeof (e as HTTPException).status === "number" && "res" in e;

export function createRouter(): App {
  return new OpenAPIHono<HonoEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new AppError(
          400,
          "validation_failed",
          "The request is invalid",
          zodDetails(result.error as ZodError),
        );
      }
    },
  });
}

export function createApp(): App {
  const app = createRouter();
  app.use("*", requestContext());

  app.onError((err, c) => {
    const requestId = c.get("requestId");
    if (isAppError(err)) {
      if (err.status >= 500) c.get("log")?.("error", err.message, { code: err.code });
      return c.json(
        {
          error: err.code,
          message: err.message,
          ...(err.details ? { details: err.details } : {}),
          requestId,
        },
        err.status as 400,
      );
    }
    // Hono's body parsers reject malformed JSON/forms with an HTTPException; keep its status, use our envelope.
    if (isHttpException(err) && err.status < 500) {
      const code =
        err.status === 400
          ? "invalid_request_body"
          : err.status === 415
            ? "unsupported_media_type"
            : "bad_request";
      return c.json(
        { error: code, message: err.message || "The request could not be read", requestId },
        err.status,
      );
    }
    c.get("log")?.("error", "unhandled error", { error: String(err), stack: (err as Error).stack });
    return c.json({ error: "internal_error", message: "Something went wrong on our side", requestId }, 500);
  });

  app.notFound((c) =>
    c.json(
      { error: "route_not_found", message: `No route for ${c.req.method} ${new URL(c.req.url).pathname}` },
      404,
    ),
  );

  registerRoutes(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "Access token from POST /v1/oauth/token",
  });
  app.doc31("/v1/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Timbre API",
      version: "1.0.0",
      description:
        "Mexican e-invoicing (CFDI 4.0) and accounts payable/receivable. Errors use one envelope `{error, message, details?}`; OAuth errors follow RFC 6749.",
    },
    servers: [{ url: "/" }],
  });
  return app;
}
