/**
 * The default permissions: read anywhere except secrets, write only in the
 * working directory (and the per-session temp directory the sandbox adds)
 * except files that would run code on the host later, network on, the
 * environment without the interpreter's API keys, any program.
 *
 * @module
 */

import { PROVIDER_KEY_ENV } from "../wire/secrets.ts";
import { configDir } from "../storage/paths.ts";
import type { Permissions } from "./permissions.ts";
import { expandPath } from "./paths.ts";

/**
 * Secret places code may not read unless the user says so. `~` is the home
 * directory; `{config}` is this program's own config folder (it holds API keys).
 */
export const DEFAULT_SECRET_PATHS: readonly string[] = [
  "~/.ssh",
  "~/.aws",
  "~/.gnupg",
  "~/.netrc",
  "~/.git-credentials",
  "~/.docker", // config.json (registry logins) and the engine's TLS client key (key.pem)
  "~/.kube",
  "~/.azure",
  "~/.config/gcloud",
  "~/.config/gh",
  "~/.password-store",
  "~/.local/share/keyrings",
  // Other tools' stored passwords and tokens (databases, package registries, clouds, containers).
  "~/.pgpass",
  "~/.my.cnf",
  "~/.pypirc",
  "~/.gem/credentials",
  "~/.config/containers/auth.json",
  "~/.vault-token",
  "~/.terraform.d/credentials.tfrc.json",
  "~/.s3cfg",
  "~/.boto",
  "~/.oci",
  "~/.config/hub",
  "~/.config/doctl",
  "~/.config/rclone/rclone.conf",
  "{config}",
  // Browser profiles (cookies, saved passwords).
  "~/.mozilla",
  "~/.config/google-chrome",
  "~/.config/chromium",
  "~/.config/BraveSoftware",
  "~/.config/microsoft-edge",
  "~/snap/firefox",
  "~/snap/chromium",
  "~/Library/Application Support/Google/Chrome",
  "~/Library/Application Support/Firefox",
  "~/Library/Application Support/BraveSoftware",
  "~/Library/Keychains",
  "~/Library/Cookies",
];

/**
 * Environment variables that hold model-provider keys. They never reach
 * generated code, whatever the permissions say. Exact names (Deno's
 * `--deny-env` takes names); the sandbox also drops every variable whose name
 * `isSecretName` (lib/wire/secrets.ts) says holds a secret.
 */
export const DEFAULT_SECRET_ENV: readonly string[] = PROVIDER_KEY_ENV;

/**
 * Files and folders in the home folder that run code on the host later: shell
 * and desktop start-up files, git's and editors' configuration, user units,
 * the folders on PATH and Python's user site (a `.pth` runs at every start).
 * Protected by path whether or not they exist: one that exists is bound
 * read-only, and one that is missing cannot be made (its folder is shadowed,
 * see lib/sandbox/confine.ts). `--allow-write=<exactly that path>` lifts one.
 */
export const HOME_STARTUP_PATHS: readonly string[] = [
  "~/.bashrc",
  "~/.bash_profile",
  "~/.bash_login",
  "~/.bash_logout",
  "~/.bash_aliases",
  "~/.profile",
  "~/.zshrc",
  "~/.zshenv",
  "~/.zprofile",
  "~/.zlogin",
  "~/.zlogout",
  "~/.xprofile",
  "~/.xsession",
  "~/.xsessionrc",
  "~/.xinitrc",
  "~/.pam_environment",
  "~/.gitconfig",
  "~/.vimrc",
  "~/.emacs",
  "~/.tmux.conf",
  "~/.ssh",
  "~/bin",
  "~/.local/bin",
  "~/.local/lib",
  "~/.local/share/systemd",
  "~/.config/git",
  "~/.config/fish",
  "~/.config/autostart",
  "~/.config/systemd",
  "~/.config/environment.d",
  "~/.config/nvim",
];

/**
 * Files that run code on the host later (the home folder's start-up files,
 * the workspace's git repository): never writable from generated code, so it
 * cannot plant commands that run outside the sandbox. `{cwd}` is the working
 * directory; `--allow-write=.git` opts in to writing the repository.
 */
export const DEFAULT_PROTECTED_PATHS: readonly string[] = [
  ...HOME_STARTUP_PATHS,
  "{cwd}/.git",
];

/** Options for {@linkcode defaultPermissions}. */
export interface DefaultPermissionsOptions {
  /** The working directory code may write to (default: the process cwd). */
  cwd?: string;
  /** Replaces {@linkcode DEFAULT_SECRET_PATHS} (`~` and `{config}` are expanded). */
  secretPaths?: readonly string[];
  /** Extra environment variable names to hide (on top of {@linkcode DEFAULT_SECRET_ENV}). */
  secretEnv?: readonly string[];
}

/** Expands the secret path list: `~`, `{config}`, relative paths. */
function secretPathList(paths: readonly string[], cwd: string): string[] {
  const config = configDir();
  return unique(paths.map((p) => expandPath(p.replace("{config}", config), cwd)));
}

/**
 * The permissions the interpreter uses when nothing else is said: read
 * anywhere except the secret paths, write only in `cwd` (the sandbox adds a
 * per-session temp directory), network on, every environment variable except
 * API keys, every program.
 */
export function defaultPermissions(options: DefaultPermissionsOptions = {}): Permissions {
  const cwd = options.cwd ?? Deno.cwd();
  return {
    read: true,
    write: [expandPath(cwd, cwd)],
    net: true,
    env: true,
    run: true,
    denyRead: secretPathList(options.secretPaths ?? DEFAULT_SECRET_PATHS, cwd),
    denyWrite: unique(DEFAULT_PROTECTED_PATHS.map((p) => expandPath(p.replace("{cwd}", cwd), cwd))),
    denyNet: [],
    denyEnv: unique([...DEFAULT_SECRET_ENV, ...(options.secretEnv ?? [])]),
    denyRun: [],
  };
}

/** Removes duplicates, keeping the first occurrence. */
export function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
