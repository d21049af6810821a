import { text } from "drizzle-orm/sqlite-core";

// Timestamps are ISO 8601 UTC strings: they sort lexically, read the same in D1, libSQL and the API.
export const timestamps = {
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
};

export const id = () => text("id").primaryKey();
