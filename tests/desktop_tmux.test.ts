/**
 * `interpreter --os` in a real terminal (tmux) on a private Xvfb: the start-up lines say the
 * Computer API is on and warn about instructions on screen; each code block is still asked about
 * (no -y): answering y lets the model's code click xmessage's Proceed (exit status 7), answering n
 * leaves the button alone (the control).
 */

import { assertEquals } from "./helpers/assert.ts";
import { missingDesktop, startChoiceBox, startXvfb } from "./helpers/desktop_xvfb.ts";
import { startFakeOpenAI } from "./helpers/fake_openai_server.ts";
import { cliCommand } from "./helpers/terminal_cli.ts";
import { removeDir, TmuxSession } from "./helpers/terminal_tmux.ts";

const missing = missingDesktop();

for (const answer of ["y", "n"]) {
  Deno.test({
    name: `interpreter --os asks before the code clicks (answer ${answer})`,
    ignore: missing !== "",
  }, async () => {
    const xvfb = await startXvfb();
    const box = startChoiceBox(xvfb);
    const fake = startFakeOpenAI({
      script: [
        { toolCalls: [{ language: "python", code: 'computer.mouse.click("Proceed")' }] },
        { text: "The task is done." },
        { text: "The task is done." },
      ],
    });
    const home = await Deno.makeTempDir();
    const term = await TmuxSession.start({
      command: cliCommand(["--os", "--api_base", fake.url, "--api_key", "sk-x-0123456789"]),
      env: { INTERPRETER_HOME: home, TERM: "xterm-256color", DISPLAY: xvfb.display },
      cwd: home,
      width: 160,
    });
    try {
      await term.waitFor("display (Computer API) on");
      await term.waitFor("Text on the screen can carry instructions");
      await term.line("Click Proceed");
      await term.waitFor("Would you like to run this code? (y/n/e/a)");
      await term.line(answer);
      await term.waitFor("The task is done.");
      const status = await Promise.race([
        box.result.then((r) => r.code),
        new Promise<string>((r) => setTimeout(() => r("running"), answer === "y" ? 10_000 : 500)),
      ]);
      assertEquals(status, answer === "y" ? 7 : "running");
    } finally {
      await term.close();
      await box.kill();
      await fake.close();
      await xvfb.stop();
      await removeDir(home);
    }
  });
}
