export * from "./auth";
export * from "./invoices";
export * from "./organizations";
export * from "./platform";
