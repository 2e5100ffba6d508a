/** Moved to lib/wire/chat.ts (kept until the move is complete). @module */
export * from "../wire/chat.ts";
