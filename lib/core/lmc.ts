/** Moved to lib/wire/lmc.ts (kept until the move is complete). @module */
export * from "../wire/lmc.ts";
