/**
 * Anthropic's native computer-use tool (`computer`), offered to Claude models that have it when
 * display access is on, and mapped to the same Computer API: each action the model asks for
 * becomes the equivalent Python code (`computer.mouse.click(512, 300)`), which is shown, approved
 * and run like any other code block, so `--os` rules (approval unless -y, the sandbox, the
 * channel) hold for it too.
 *
 * @module
 */

import type { ToolSpec } from "../wire/chat.ts";

/** The `anthropic-beta` header each tool version needs, by tool type. */
const BETA: Record<string, string> = {
  computer_20250124: "computer-use-2025-01-24",
  computer_20241022: "computer-use-2024-10-22",
};

/** The computer tool type a Claude model supports, or undefined (no native tool offered). */
export function computerToolType(model: string): string | undefined {
  const m = model.toLowerCase();
  if (!m.includes("claude")) return undefined;
  if (/claude-(3-7|3\.7)|claude-(sonnet|opus)-4|claude-4/.test(m)) return "computer_20250124";
  if (/claude-3-5-sonnet|claude-3\.5-sonnet/.test(m)) return "computer_20241022";
  return undefined;
}

/** The tool spec: Anthropic gets its native declaration; the function form documents it. */
export function computerToolSpec(
  type: string,
  size: { width: number; height: number },
): ToolSpec {
  return {
    type: "function",
    function: {
      name: "computer",
      description: "Anthropic's computer-use tool: see and drive the user's screen.",
      parameters: { type: "object", properties: { action: { type: "string" } } },
    },
    native: {
      anthropic: {
        type,
        name: "computer",
        display_width_px: size.width,
        display_height_px: size.height,
      },
      beta: BETA[type],
    },
  };
}

/** What an action becomes: Python code to run, or the error the model is told. */
export type ComputerActionCode =
  | { ok: true; language: "python"; code: string }
  | { ok: false; error: string };

const KEY_ALIASES: Record<string, string> = {
  page_down: "pagedown",
  page_up: "pageup",
  caps_lock: "capslock",
  num_lock: "numlock",
  kp_enter: "enter",
  control_l: "ctrl",
  control_r: "ctrl",
  shift_l: "shift",
  shift_r: "shift",
  alt_l: "alt",
  alt_r: "alt",
  super_l: "super",
  super_r: "super",
  meta: "command",
};

function py(value: string): string {
  return JSON.stringify(value); // a JSON string is a valid Python string literal
}

function point(value: unknown, name: string): [number, number] {
  if (
    !Array.isArray(value) || value.length !== 2 ||
    !value.every((v) => typeof v === "number" && Number.isFinite(v) && v >= 0)
  ) {
    throw new Error(`${name} must be [x, y] in screenshot pixels`);
  }
  return [Math.round(value[0]), Math.round(value[1])];
}

function keys(text: unknown): string[] {
  if (typeof text !== "string" || !text.trim()) throw new Error("key needs text such as ctrl+s");
  return text.trim().split(/\s*\+\s*/).map((k) => {
    const lower = k.toLowerCase();
    return KEY_ALIASES[lower] ?? (k.length === 1 ? k : lower);
  });
}

/** Maps one `computer` tool call's JSON arguments to Python code (see the module doc). */
export function computerActionCode(raw: string): ComputerActionCode {
  let input: Record<string, unknown>;
  try {
    input = JSON.parse(raw || "{}");
  } catch {
    return { ok: false, error: "The computer tool's input was not valid JSON." };
  }
  try {
    const action = String(input.action ?? "");
    const at = input.coordinate === undefined ? undefined : point(input.coordinate, "coordinate");
    const xy = at ? `${at[0]}, ${at[1]}` : "";
    const sep = xy ? ", " : "";
    const view = "\ncomputer.display.view()";
    let code: string;
    switch (action) {
      case "screenshot":
        code = "computer.display.view()";
        break;
      case "left_click":
        code = `computer.mouse.click(${xy})${view}`;
        break;
      case "right_click":
        code = `computer.mouse.click(${xy}${sep}button="right")${view}`;
        break;
      case "middle_click":
        code = `computer.mouse.click(${xy}${sep}button="middle")${view}`;
        break;
      case "double_click":
        code = `computer.mouse.click(${xy}${sep}clicks=2)${view}`;
        break;
      case "triple_click":
        code = `computer.mouse.click(${xy}${sep}clicks=3)${view}`;
        break;
      case "mouse_move":
        if (!at) throw new Error("mouse_move needs a coordinate");
        code = `computer.mouse.move(${xy})`;
        break;
      case "left_click_drag": {
        const from = point(input.start_coordinate, "start_coordinate");
        if (!at) throw new Error("left_click_drag needs a coordinate");
        code = `computer.mouse.drag(${from[0]}, ${from[1]}, ${xy})${view}`;
        break;
      }
      case "left_mouse_down":
        code = "computer.mouse.down()";
        break;
      case "left_mouse_up":
        code = `computer.mouse.up()${view}`;
        break;
      case "type":
        if (typeof input.text !== "string") throw new Error("type needs text");
        code = `computer.keyboard.write(${py(input.text)})${view}`;
        break;
      case "key": {
        const list = keys(input.text).map(py).join(", ");
        code = `computer.keyboard.${list.includes(",") ? "hotkey" : "press"}(${list})${view}`;
        break;
      }
      case "hold_key": {
        const seconds = Math.min(10, Math.max(0, Number(input.duration ?? 1) || 0));
        const list = keys(input.text).map(py).join(", ");
        code = `import time\ncomputer.keyboard.down(${list})\ntime.sleep(${seconds})\n` +
          `computer.keyboard.up(${list})`;
        break;
      }
      case "scroll": {
        const amount = Math.min(50, Math.max(1, Math.round(Number(input.scroll_amount ?? 3))));
        const direction = String(input.scroll_direction ?? "down");
        const call = direction === "down"
          ? `scroll(${amount})`
          : direction === "up"
          ? `scroll(-${amount})`
          : direction === "right"
          ? `scroll(0, ${amount})`
          : direction === "left"
          ? `scroll(0, -${amount})`
          : undefined;
        if (!call) throw new Error("scroll_direction is up, down, left or right");
        code = `${at ? `computer.mouse.move(${xy})\n` : ""}computer.mouse.${call}${view}`;
        break;
      }
      case "wait": {
        const seconds = Math.min(30, Math.max(0, Number(input.duration ?? 1) || 0));
        code = `import time\ntime.sleep(${seconds})${view}`;
        break;
      }
      case "cursor_position":
        code = "print(computer.mouse.position())";
        break;
      default:
        throw new Error(`unknown action "${action.slice(0, 40)}"`);
    }
    return { ok: true, language: "python", code };
  } catch (e) {
    return { ok: false, error: `The computer tool call was not run: ${(e as Error).message}.` };
  }
}
