/**
 * The shell session driver: one bash (or sh) that sources each run's code in
 * its own context, so the working directory, variables and functions survive.
 * Commands arrive on fd 3 (the original stdin); fd 0 becomes a FIFO opened
 * read-write that nobody writes to, so `read` blocks and is detected. A DEBUG
 * trap reports the line about to run; with `extdebug`, returning 2 from it
 * ends the sourced code early, which is how an interrupt stops the rest of a
 * run while keeping the session.
 *
 * @module
 */

/** Source of the bash driver (`bash --noprofile --norc driver.sh <nonce> <dir>`). */
export const BASH_DRIVER: string = String.raw`
__oi_nonce=$1
__oi_dir=$2
__oi_cell="$__oi_dir/cell.sh"
exec 3<&0
exec 0<>"$__oi_dir/stdin"
shopt -s extdebug
__oi_int=
__oi_last=
trap '__oi_int=1' INT
__oi_pid=$BASHPID
__oi_trap() {
  # only the session's own shell reports: with extdebug the trap is also inherited by
  # subshells and command substitutions, whose output must not get records
  [[ $BASHPID == "$__oi_pid" ]] || return 0
  [[ -n $__oi_int ]] && return 2
  if [[ $1 != "$__oi_last" ]]; then
    __oi_last=$1
    printf '\036%sL%s\n' "$__oi_nonce" "$1"
  fi
  return 0
}
printf '\036%sR\n' "$__oi_nonce"
while IFS= read -r -u 3 __oi_cmd; do
  __oi_int=
  __oi_last=
  # the cheap test inline: only commands of the run's own code call the function
  trap '[[ ${"${"}BASH_SOURCE[0]} != "$__oi_cell" ]] || __oi_trap "$LINENO"' DEBUG
  . "$__oi_cell"
  __oi_status=$?
  trap - DEBUG
  # after an interrupt its background jobs are about to be killed: forget them quietly
  [[ -n $__oi_int ]] && { __oi_status=130; disown -a; }
  printf '\036%sE%s\n' "$__oi_nonce" "$__oi_status"
done
`;

/** A plain POSIX sh driver for machines without bash (no active lines). */
export const SH_DRIVER: string = String.raw`
__oi_nonce=$1
__oi_dir=$2
exec 3<&0
exec 0<>"$__oi_dir/stdin"
trap '__oi_int=1' INT
printf '\036%sR\n' "$__oi_nonce"
while IFS= read -r __oi_cmd <&3; do
  __oi_int=
  . "$__oi_dir/cell.sh"
  __oi_status=$?
  [ -n "$__oi_int" ] && __oi_status=130
  printf '\036%sE%s\n' "$__oi_nonce" "$__oi_status"
done
`;
