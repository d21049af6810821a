/**
 * The one page/limit helper for the seed's `{data, totalPages, totalCount}` listings. The seed allows
 * `limit` only from a fixed set (10/30/60/100 on most lists); callers pass theirs.
 */
import { z } from "zod";

export const pageQuery = (allowedLimits: readonly number[] = [10, 30, 60, 100], defaultLimit = 30) =>
  z.object({
    page: z.coerce.number().int().min(1).default(1),
    limit: z.coerce
      .number()
      .int()
      .default(defaultLimit)
      .refine((n) => allowedLimits.includes(n), {
        message: `limit must be one of ${allowedLimits.join(", ")}`,
      }),
  });

export interface Page {
  page: number;
  limit: number;
}

export const pageOffset = ({ page, limit }: Page) => (page - 1) * limit;

export function pageEnvelope<T>(data: T[], totalCount: number, { limit }: Page) {
  return { data, totalPages: Math.ceil(totalCount / limit), totalCount };
}
