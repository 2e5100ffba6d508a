/** Moved to lib/wire/approval.ts (kept until the move is complete). @module */
export * from "../wire/approval.ts";
