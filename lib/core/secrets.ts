/** Moved to lib/wire/secrets.ts (kept until the move is complete). @module */
export * from "../wire/secrets.ts";
