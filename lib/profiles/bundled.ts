/**
 * The bundled profiles: the files in `profiles/`, imported as text, so they
 * are part of the module graph and `deno compile` embeds them (text imports
 * are stable since Deno 2.8: no flag).
 *
 * @module
 */

import defaultProfile from "../../profiles/default.yaml" with { type: "text" };
import fastProfile from "../../profiles/fast.yaml" with { type: "text" };
import localProfile from "../../profiles/local.yaml" with { type: "text" };
import osProfile from "../../profiles/os.yaml" with { type: "text" };
import visionProfile from "../../profiles/vision.yaml" with { type: "text" };

/** Bundled profile texts by name. */
export const BUNDLED_TEXT: Readonly<Record<string, string>> = {
  default: defaultProfile,
  fast: fastProfile,
  vision: visionProfile,
  os: osProfile,
  local: localProfile,
};
