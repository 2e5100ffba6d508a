/**
 * `--local`: find a model server running on this computer. Probes Ollama
 * (11434), LM Studio (1234), llama.cpp (8080) and Jan (1337) on 127.0.0.1,
 * each with a short bounded request for its model list.
 *
 * @module
 */

/** A local server that answered, with its models. */
export interface LocalServer {
  /** Product name. */
  name: string;
  /** OpenAI-compatible base URL (ending in /v1). */
  apiBase: string;
  /** Model ids it serves. */
  models: string[];
}

/** The servers probed, in order. */
const LOCAL_SERVERS: readonly { name: string; port: number }[] = [
  { name: "Ollama", port: 11434 },
  { name: "LM Studio", port: 1234 },
  { name: "llama.cpp", port: 8080 },
  { name: "Jan", port: 1337 },
];

/** Asks one server for its models; undefined if it does not answer in time. */
async function probeServer(
  name: string,
  apiBase: string,
  timeoutMs = 400,
): Promise<LocalServer | undefined> {
  try {
    const res = await fetch(`${apiBase}/models`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    const body = await res.json();
    const models = Array.isArray(body?.data)
      ? body.data.map((m: { id?: string }) => m.id).filter((id: unknown) => typeof id === "string")
      : [];
    return { name, apiBase, models };
  } catch {
    return undefined;
  }
}

/** Probes every known local server at once; returns those that answered. */
export async function findLocalServers(
  servers: readonly { name: string; port: number }[] = LOCAL_SERVERS,
  timeoutMs = 400,
): Promise<LocalServer[]> {
  const found = await Promise.all(
    servers.map((s) => probeServer(s.name, `http://127.0.0.1:${s.port}/v1`, timeoutMs)),
  );
  return found.filter((s): s is LocalServer => s !== undefined);
}
