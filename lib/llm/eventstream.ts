/**
 * AWS's binary event-stream framing (`application/vnd.amazon.eventstream`),
 * as Bedrock's Converse stream sends it: each message is a total length, a
 * header length and a CRC-32 of those (the prelude), typed headers
 * (`:message-type`, `:event-type`, `:exception-type`), a payload, and a
 * CRC-32 of the whole. `@smithy/eventstream-codec` (the AWS SDK's own codec)
 * checks both CRCs and parses the headers; this module cuts messages out of
 * the byte stream and turns each into a JSON event: `{ <eventType>: payload }`
 * for events (the shape of the SDK's `ConverseStreamOutput`), and
 * `{ exception: { type, message } }` for exceptions.
 *
 * @module
 */

import { EventStreamCodec } from "npm:@smithy/eventstream-codec@4.5.2";
import { fromUtf8, toUtf8 } from "npm:@smithy/util-utf8@4.5.2";
import { LlmError } from "./errors.ts";
import type { FrameDecoder, FrameEvent } from "./wire.ts";

/** The largest message accepted (the format allows 16 MiB). */
const MAX_MESSAGE = 16 * 1024 * 1024;

/** One decoded message: its headers (as strings) and its payload text. */
export interface EventStreamMessage {
  /** Header values by name (`:event-type`...). */
  headers: Record<string, string>;
  /** The payload as text. */
  body: string;
}

/** Cuts event-stream messages out of bytes; checks each one's CRCs. */
export class EventStreamSplitter {
  #codec = new EventStreamCodec(toUtf8, fromUtf8);
  #buffer = new Uint8Array(0);
  #text = new TextDecoder();

  /** Adds bytes; returns the messages they completed. Throws LlmError on a corrupt message. */
  push(bytes: Uint8Array): EventStreamMessage[] {
    const joined = new Uint8Array(this.#buffer.length + bytes.length);
    joined.set(this.#buffer);
    joined.set(bytes, this.#buffer.length);
    const out: EventStreamMessage[] = [];
    let offset = 0;
    while (joined.length - offset >= 12) {
      const view = new DataView(joined.buffer, joined.byteOffset + offset);
      const total = view.getUint32(0);
      if (total < 16 || total > MAX_MESSAGE) {
        throw corrupt(`a message length of ${total} bytes`);
      }
      if (joined.length - offset < total) break;
      let message;
      try {
        message = this.#codec.decode(joined.subarray(offset, offset + total));
      } catch (err) {
        throw corrupt(String((err as Error)?.message ?? err));
      }
      const headers: Record<string, string> = {};
      for (const [name, header] of Object.entries(message.headers)) {
        headers[name] = String(header.value);
      }
      out.push({ headers, body: this.#text.decode(message.body) });
      offset += total;
    }
    this.#buffer = joined.slice(offset);
    return out;
  }

  /** Bytes of an unfinished message still held. */
  get pending(): number {
    return this.#buffer.length;
  }
}

function corrupt(what: string): LlmError {
  return new LlmError(
    "provider",
    `Amazon Bedrock sent a corrupt event-stream message (${what}). Try again.`,
  );
}

/** A frame decoder for the client: each message becomes one JSON event. */
export function eventStreamDecoder(): FrameDecoder {
  const splitter = new EventStreamSplitter();
  let messages = 0;
  return {
    push(bytes) {
      const out: FrameEvent[] = [];
      for (const m of splitter.push(bytes)) {
        messages++;
        out.push(toFrameEvent(m));
      }
      return out;
    },
    end() {
      return []; // an unfinished message is a stream that broke off
    },
    get progress() {
      return messages;
    },
  };
}

function toFrameEvent(m: EventStreamMessage): FrameEvent {
  const kind = m.headers[":message-type"];
  if (kind === "exception" || kind === "error") {
    const type = m.headers[":exception-type"] ?? m.headers[":error-code"] ?? "exception";
    let message = m.headers[":error-message"] ?? m.body;
    try {
      const json = JSON.parse(m.body);
      message = json.message ?? json.Message ?? message;
    } catch { /* the body is the message */ }
    return { data: JSON.stringify({ exception: { type, message } }) };
  }
  const type = m.headers[":event-type"] ?? "unknown";
  return { data: `{${JSON.stringify(type)}:${m.body.trim() || "{}"}}` };
}
