/**
 * `computer.ai`: chat, summarize and query through the host's model client. The engine passes the
 * model in as a function (lib/desktop never imports lib/core or lib/llm), so API keys stay on the
 * host: the session only ever sees the answers.
 *
 * @module
 */

/** What the ai namespace asks the model: a prompt and optionally one PNG image. */
export interface ModelPrompt {
  /** The text. */
  text: string;
  /** PNG bytes shown with it. */
  image?: Uint8Array;
}

/** Asks the host's model once and returns its answer's text. */
export type AskModel = (prompt: ModelPrompt, options: { signal?: AbortSignal }) => Promise<string>;

/** The most characters of text one ai call accepts. */
const MAX_AI_TEXT = 200_000;

/** The ai namespace. */
export class AiApi {
  #ask: AskModel | undefined;

  /** Uses `ask` for every call; without it every call says there is no model. */
  constructor(ask?: AskModel) {
    this.#ask = ask;
  }

  #call(text: string, image?: Uint8Array): Promise<string> {
    if (!this.#ask) {
      throw new Error("computer.ai has no model here (it needs the interpreter's model)");
    }
    if (typeof text !== "string") throw new Error("the text must be a string");
    if (text.length > MAX_AI_TEXT) {
      throw new Error(`the text is ${text.length} characters (at most ${MAX_AI_TEXT})`);
    }
    return this.#ask({ text, image }, {});
  }

  /** Sends a message (and optionally a PNG image) to the model; returns its answer. */
  chat(text: string, image?: Uint8Array): Promise<string> {
    return this.#call(text, image);
  }

  /** A short summary of `text`. */
  summarize(text: string): Promise<string> {
    return this.#call(
      `Summarize the following text in a few sentences. Answer with the summary only.\n\n${text}`,
    );
  }

  /** Answers `question` about `text`. */
  query(text: string, question: string): Promise<string> {
    if (typeof question !== "string" || !question.trim()) throw new Error("a question is required");
    return this.#call(
      `Answer the question using only the text below.\n\nQuestion: ${question}\n\nText:\n${text}`,
    );
  }
}
