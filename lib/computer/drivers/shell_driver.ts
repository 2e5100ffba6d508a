/**
 * The shell session driver: one bash (or sh) that sources each run's code in
 * its own context, so the working directory, variables and functions survive.
 *
 * Descriptors: commands arrive on the original stdin, moved to a descriptor of
 * the driver's own (fd 57: `<run id> <lines>\n` then the code's lines); records
 * go out through its own duplicate of the output pipe (fd 58); fd 0 becomes a
 * FIFO (also fd 59) opened read-write that nobody writes to, so `read` blocks and is detected. Code
 * that redirects or closes its standard output (`exec >build.log 2>&1`,
 * `exec 1>&-`) therefore neither loses the records nor gets them in its file,
 * and each run starts with fds 0, 1 and 2 restored.
 *
 * bash sources the code from a pipe (`. /dev/fd/62 62<<<"$code"`: error
 * messages name `/dev/fd/62`); sh writes it to `cell.sh` in its session folder
 * itself (inside the sandbox) and sources that. A DEBUG trap reports the line about to run;
 * with `extdebug`, returning 2 from it ends the sourced code early, which is
 * how an interrupt stops the rest of a run while keeping the session. bash's
 * own `read` carries on after SIGINT, so the INT trap hands it an empty line
 * through the FIFO (what is left there is drained after the run).
 *
 * @module
 */

/** Source of the bash driver (`bash --noprofile --norc driver.sh <nonce> <dir>`). */
export const BASH_DRIVER: string = String.raw`
__oi_nonce=$1
__oi_dir=$2
# the code is sourced from a pipe (a here-string): no file to write, nothing to truncate
__oi_cell=/dev/fd/62
mkfifo "$__oi_dir/stdin" || exit 1
# the driver's own descriptors, high so that scripts' own numbers (3-9, 10, {var}) miss them:
# commands, records (a duplicate of the output pipe), the FIFO
__oi_cmd=57 __oi_out=58 __oi_in=59
exec 57<&0 58>&1 59<>"$__oi_dir/stdin" || exit 1
exec 0<&$__oi_in
shopt -s extdebug
__oi_int=
__oi_last=
# (the flag last: once it is set, the DEBUG trap ends whatever runs, this handler included)
trap 'printf "\n" >&$__oi_in; __oi_int=1' INT
__oi_pid=$BASHPID
__oi_trap() {
  # only the session's own shell reports: with extdebug the trap is also inherited by
  # subshells and command substitutions, whose output must not get records
  [[ $BASHPID == "$__oi_pid" ]] || return 0
  [[ -n $__oi_int ]] && return 2
  if [[ $1 != "$__oi_last" ]]; then
    __oi_last=$1
    printf '\036%sL%s\n' "$__oi_nonce" "$1" >&$__oi_out
  fi
  return 0
}
printf '\036%sR\n' "$__oi_nonce" >&$__oi_out
while IFS=' ' read -r -u $__oi_cmd __oi_run __oi_lines; do
  mapfile -n "$__oi_lines" -u $__oi_cmd __oi_code
  printf -v __oi_src '%s' "${"${"}__oi_code[@]}"
  __oi_code=()
  __oi_int=
  __oi_last=
  # the cheap test inline: only commands of the run's own code call the function
  trap '[[ ${"${"}BASH_SOURCE[0]} != "$__oi_cell" ]] || __oi_trap "$LINENO"' DEBUG
  . "$__oi_cell" 62<<<"$__oi_src"
  __oi_status=$?
  trap - DEBUG
  __oi_src=
  exec 0<&$__oi_in 1>&$__oi_out 2>&$__oi_out
  if [[ -n $__oi_int ]]; then
    # after an interrupt its background jobs are about to be killed: forget them quietly
    __oi_status=130
    disown -a
    while read -r -t 0 -u $__oi_in; do read -r -t 0.05 -N 65536 -u $__oi_in _ || break; done
  fi
  printf '\036%sE%s %s\n' "$__oi_nonce" "$__oi_run" "$__oi_status" >&$__oi_out
done
`;

/** A plain POSIX sh driver for machines without bash (no active lines; commands on fd 7). */
export const SH_DRIVER: string = String.raw`
__oi_nonce=$1
__oi_dir=$2
mkfifo "$__oi_dir/stdin" || exit 1
exec 7<&0 8>&1 9<>"$__oi_dir/stdin"
exec 0<&9
trap '__oi_int=1' INT
printf '\036%sR\n' "$__oi_nonce" >&8
while IFS=' ' read -r __oi_run __oi_lines <&7; do
  : >"$__oi_dir/cell.sh"
  while [ "$__oi_lines" -gt 0 ]; do
    IFS= read -r __oi_line <&7
    printf '%s\n' "$__oi_line" >>"$__oi_dir/cell.sh"
    __oi_lines=$((__oi_lines - 1))
  done
  __oi_int=
  . "$__oi_dir/cell.sh"
  __oi_status=$?
  exec 0<&9 1>&8 2>&8
  [ -n "$__oi_int" ] && __oi_status=130
  printf '\036%sE%s %s\n' "$__oi_nonce" "$__oi_run" "$__oi_status" >&8
done
`;
