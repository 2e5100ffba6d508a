/**
 * `computer.skills`: code the model learned, saved as files in `<dataDir>/skills/` (one
 * `<name>.py` / `<name>.js` each, its first comment or docstring line the description) so later
 * sessions can list, search and import them. Names are checked, files are written atomically and
 * read only when they are plain files (never through a link).
 *
 * @module
 */

/** A saved skill. */
export interface Skill {
  /** Its name (letters, digits, underscores). */
  name: string;
  /** `python` or `javascript`. */
  language: string;
  /** Its description line. */
  description: string;
}

const EXTENSIONS: Record<string, string> = { python: "py", javascript: "js" };
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** The largest skill file, in bytes. */
const MAX_SKILL_BYTES = 256_000;

function describe(code: string): string {
  for (const raw of code.split("\n").slice(0, 20)) {
    const line = raw.trim().replace(/^("""|'''|\/\*\*?|\/\/|#)\s*/, "").replace(
      /("""|'''|\*\/)$/,
      "",
    )
      .trim();
    if (line) return line.slice(0, 200);
  }
  return "";
}

/** The skills folder of one data folder. */
export class SkillsApi {
  #dir: string | undefined;

  /** Keeps skills in `dir` (none when undefined: every call says so). */
  constructor(dir?: string) {
    this.#dir = dir;
  }

  #folder(): string {
    if (!this.#dir) throw new Error("computer.skills has no data folder here");
    return this.#dir;
  }

  async #read(file: string): Promise<string | null> {
    const path = `${this.#folder()}/${file}`;
    try {
      const info = await Deno.lstat(path);
      if (!info.isFile || info.size > MAX_SKILL_BYTES) return null;
      return await Deno.readTextFile(path);
    } catch {
      return null;
    }
  }

  /** Every saved skill, by name. */
  async list(): Promise<Skill[]> {
    const skills: Skill[] = [];
    let entries: Deno.DirEntry[] = [];
    try {
      entries = await Array.fromAsync(Deno.readDir(this.#folder()));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw e;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const m = /^(.+)\.(py|js)$/.exec(entry.name);
      if (!entry.isFile || !m || !NAME.test(m[1])) continue;
      const code = await this.#read(entry.name);
      if (code === null) continue;
      skills.push({
        name: m[1],
        language: m[2] === "py" ? "python" : "javascript",
        description: describe(code),
      });
    }
    return skills;
  }

  /** Skills whose name or description contains every word of `query`. */
  async search(query: string): Promise<Skill[]> {
    const words = String(query).toLowerCase().split(/\s+/).filter(Boolean);
    return (await this.list()).filter((s) => {
      const hay = `${s.name.replace(/_/g, " ")} ${s.description}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    });
  }

  /** Saves (or replaces) a skill. */
  async save(
    name: string,
    code: string,
    { language = "python" }: { language?: string } = {},
  ): Promise<Skill> {
    if (typeof name !== "string" || !NAME.test(name)) {
      throw new Error("a skill name is letters, digits and underscores (at most 64)");
    }
    const ext = EXTENSIONS[language];
    if (!ext) throw new Error("skills are python or javascript");
    if (typeof code !== "string" || !code.trim()) throw new Error("a skill needs code");
    if (new TextEncoder().encode(code).length > MAX_SKILL_BYTES) {
      throw new Error(`a skill is at most ${MAX_SKILL_BYTES} bytes`);
    }
    const dir = this.#folder();
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = `${dir}/.${name}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(tmp, code, { createNew: true, mode: 0o600 });
    await Deno.rename(tmp, `${dir}/${name}.${ext}`);
    return { name, language, description: describe(code) };
  }

  /** The code of a skill, to run in the session. */
  async get(name: string): Promise<{ name: string; language: string; code: string }> {
    if (typeof name !== "string" || !NAME.test(name)) throw new Error("no such skill");
    for (const [language, ext] of Object.entries(EXTENSIONS)) {
      const code = await this.#read(`${name}.${ext}`);
      if (code !== null) return { name, language, code };
    }
    throw new Error(`no skill named ${name} (computer.skills.list() shows them)`);
  }
}
