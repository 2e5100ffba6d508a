/**
 * Recognises bubblewrap's failure when a path it was told to mount over no
 * longer exists: the sandbox masks other programs' socket folders found at
 * session start, and one that vanishes before bubblewrap mounts over it makes
 * bubblewrap try to create it in the read-only root ("Can't mkdir …: Read-only
 * file system"). bubblewrap cannot mask "if present", so the start is tried
 * again, with the masks searched afresh.
 *
 * @module
 */

const VANISHED_MOUNT =
  /bwrap: Can't (?:mkdir|create file at|find source path|mount tmpfs on|bind mount)[^\n]*(?:No such file|Read-only file system)/;

/** True when `text` (a failed start's output) is bubblewrap's vanished-mount-target error. */
export function isVanishedMount(text: string): boolean {
  return VANISHED_MOUNT.test(text);
}
