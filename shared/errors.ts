/**
 * The one error type of Timbre. Domain code (CFDI engine, services) throws AppError with a stable
 * machine-readable `code`; the HTTP layer maps every AppError to the one envelope
 * `{error: code, message, details?}` with `status`. Anything that is not an AppError is a bug and
 * becomes a 500 without leaking its message.
 */
export type ErrorDetails = Record<string, unknown> | ReadonlyArray<unknown>;

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: ErrorDetails | undefined;

  constructor(status: number, code: string, message: string, details?: ErrorDetails) {
    super(message);
    this.name = "AppError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const badRequest = (code: string, message: string, details?: ErrorDetails) =>
  new AppError(400, code, message, details);
export const unauthorized = (message = "Authentication required", code = "unauthorized") =>
  new AppError(401, code, message);
export const forbidden = (message = "You do not have permission to do this", code = "forbidden") =>
  new AppError(403, code, message);
export const notFound = (what = "Resource", code = "not_found") =>
  new AppError(404, code, `${what} not found`);
export const conflict = (code: string, message: string, details?: ErrorDetails) =>
  new AppError(409, code, message, details);
export const unprocessable = (code: string, message: string, details?: ErrorDetails) =>
  new AppError(422, code, message, details);

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
