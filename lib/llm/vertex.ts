/**
 * Google Vertex AI through its OpenAI-compatible endpoint
 * (`…/projects/{project}/locations/{location}/endpoints/openapi`): the
 * project and location come from the environment (`VERTEXAI_PROJECT`,
 * `GOOGLE_CLOUD_PROJECT`, `VERTEXAI_LOCATION`...) or `--api_base`; the access
 * token from `--api-key`, `GOOGLE_OAUTH_ACCESS_TOKEN` /
 * `CLOUDSDK_AUTH_ACCESS_TOKEN`, or `gcloud auth print-access-token` (run
 * from an absolute PATH entry outside the working directory, within a
 * bound; its token is reused for 45 minutes). The token is
 * never printed.
 *
 * @module
 */

import { LlmError } from "./errors.ts";
import { oneLine } from "./http.ts";
import { chatWire } from "./openai_chat.ts";
import { readEnv, type ResolvedModel } from "./providers.ts";
import type { CompletionRequest, Wire } from "./wire.ts";

/** Longest wait for `gcloud auth print-access-token`, in ms. */
const GCLOUD_TIMEOUT = 20_000;

/** True when `dir` is the working directory or inside it: generated code may write there. */
function writableByCode(dir: string): boolean {
  let cwd = "";
  try {
    cwd = Deno.cwd();
  } catch { /* no read access: nothing to compare */ }
  return cwd !== "" && (dir === cwd || dir.startsWith(`${cwd.replace(/\/+$/, "")}/`));
}

function findGcloud(env: (name: string) => string | undefined): string | undefined {
  for (const dir of (env("PATH") ?? "").split(":")) {
    // Only absolute entries outside the working directory: a relative entry or the working
    // directory (where generated code writes) could hold a `gcloud` that code planted.
    if (!dir.startsWith("/") || writableByCode(dir.replace(/\/+$/, ""))) continue;
    const path = `${dir.replace(/\/+$/, "")}/gcloud`;
    try {
      const info = Deno.statSync(path);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111)) return path;
    } catch { /* not here */ }
  }
  return undefined;
}

/** How long a token from gcloud is reused (they live an hour). */
const TOKEN_REUSE_MS = 45 * 60_000;
const tokens = new Map<string, { token: string; until: number }>();

/** The access token printed by `gcloud auth print-access-token` (reused for a while). */
async function gcloudToken(env: (name: string) => string | undefined): Promise<string> {
  const gcloud = findGcloud(env);
  const cached = gcloud ? tokens.get(gcloud) : undefined;
  if (cached && cached.until > Date.now()) return cached.token;
  if (!gcloud) {
    throw new LlmError(
      "missing_key",
      "No Google Cloud access token for Vertex AI: set GOOGLE_OAUTH_ACCESS_TOKEN, or install gcloud and run `gcloud auth login`.",
    );
  }
  const child = new Deno.Command(gcloud, {
    args: ["auth", "print-access-token"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
  }, GCLOUD_TIMEOUT);
  let out: Deno.CommandOutput;
  try {
    out = await child.output();
  } finally {
    clearTimeout(timer);
  }
  const token = new TextDecoder().decode(out.stdout).trim();
  if (!out.success || !token || /\s/.test(token)) {
    const said = oneLine(new TextDecoder().decode(out.stderr), 120);
    throw new LlmError(
      "missing_key",
      `gcloud could not print an access token for Vertex AI${
        said ? ` (${said})` : out.signal ? ` (stopped after ${GCLOUD_TIMEOUT / 1000}s)` : ""
      }. Run \`gcloud auth login\`, or set GOOGLE_OAUTH_ACCESS_TOKEN.`,
    );
  }
  tokens.set(gcloud, { token, until: Date.now() + TOKEN_REUSE_MS });
  return token;
}

/** Opens a Vertex AI request: finds the project's address and a token, then speaks chat completions. */
export async function vertexWire(resolved: ResolvedModel, req: CompletionRequest): Promise<Wire> {
  const env = req.env ?? readEnv;
  if (!resolved.apiBase) {
    throw new LlmError(
      "bad_request",
      "Vertex AI project not set: set VERTEXAI_PROJECT (or GOOGLE_CLOUD_PROJECT), and VERTEXAI_LOCATION if not us-central1, or pass --vertex_project.",
    );
  }
  const apiKey = resolved.apiKey ?? await gcloudToken(env);
  const ready: ResolvedModel = { ...resolved, apiKey };
  return { ...chatWire(ready, req), resolved: ready };
}
