/**
 * The program's exit statuses. Each outcome has its own number so scripts can
 * tell them apart (`interpreter -y "fix the build" || case $? in ...`).
 *
 * | status | meaning |
 * | --- | --- |
 * | 0 | done: the request finished normally |
 * | 1 | model or API error (bad key, unreachable server, error from the provider) |
 * | 2 | bad usage (unknown flag, bad value, invalid profile) |
 * | 3 | code declined: the model wanted to run code and it was not approved |
 * | 4 | a limit was reached: `--max_budget` or `--max_turns` |
 * | 5 | the conversation could not be saved (disk full, folder not writable); otherwise done |
 * | 6 | the program's own modules could not be loaded (first run without its npm registry) |
 * | 129 | the terminal closed (SIGHUP: tmux window closed, ssh dropped); sessions ended, conversation saved |
 * | 130 | interrupted (Ctrl-C / SIGINT) |
 * | 141 | standard output closed by its reader (`interpreter -y … \| head`); sessions ended, conversation saved |
 * | 143 | terminated (SIGTERM); sessions ended, conversation saved |
 *
 * @module
 */

/** Exit statuses by meaning. */
export const ExitCode = {
  /** The request finished normally. */
  Ok: 0,
  /** The model or its API failed. */
  ModelError: 1,
  /** Bad flags, values or profile. */
  Usage: 2,
  /** Code was not approved, so it did not run. */
  Declined: 3,
  /** Budget or turn limit reached. */
  Limit: 4,
  /** Done, but the last save of the conversation failed: it is not (fully) on disk. */
  NotSaved: 5,
  /** The program's npm packages could not be downloaded or loaded. */
  NotLoaded: 6,
  /** The terminal closed (SIGHUP): cleaned up, then exited. */
  Hangup: 129,
  /** Interrupted by Ctrl-C / SIGINT. */
  Interrupted: 130,
  /** Standard output was closed by its reader (as SIGPIPE): cleaned up, then exited. */
  StdoutClosed: 141,
  /** Terminated (SIGTERM): cleaned up, then exited. */
  Terminated: 143,
} as const;

/** One of the exit statuses. */
export type ExitCodeValue = typeof ExitCode[keyof typeof ExitCode];
