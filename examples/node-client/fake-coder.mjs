// Starts `tasks-conformance serve` as a fake Coder for the client's tests (test/) and drives it over its control API.
// The binary: $TASKS_CONFORMANCE_BIN, else `tasks-conformance` on PATH (pip install tasks-conformance).

import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const BIN = process.env.TASKS_CONFORMANCE_BIN || "tasks-conformance";
const CONTROL = "/__tasks_mock__/v1";
const READY = /^ready: (\S+)(?: \(config: (.+)\))?$/i; // serve's one line once it answers and its config is whole

/** The [target] table of serve's config file (flat string keys: all this needs of TOML). */
export function targetOf(toml) {
  const target = {};
  let table = "";
  for (const line of toml.split("\n").map((l) => l.trim())) {
    const header = line.match(/^\[(.+)\]$/);
    if (header) {
      table = header[1];
      continue;
    }
    const pair = line.match(/^([A-Za-z0-9_]+)\s*=\s*"((?:[^"\\]|\\.)*)"$/);
    if (table === "target" && pair) target[pair[1]] = JSON.parse(`"${pair[2]}"`);
  }
  return target;
}

function readyLine(child, timeoutMs, stderr) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`no ready line within ${timeoutMs} ms`), timeoutMs);
    const lines = createInterface({ input: child.stdout });
    const fail = (why) => {
      clearTimeout(timer);
      lines.close();
      reject(new Error(`${BIN} serve: ${why}\n${stderr()}`));
    };
    lines.on("line", (line) => {
      const match = line.match(READY);
      if (!match) return;
      clearTimeout(timer);
      lines.removeAllListeners("line");
      child.stdout.resume(); // keep draining what serve prints later
      resolve({ url: match[1], config: match[2] });
    });
    child.once("error", (error) => fail(`cannot start it (${error.message}); set TASKS_CONFORMANCE_BIN`));
    child.once("exit", (code) => fail(`exited with ${code} before it was ready`));
  });
}

/** A started fake Coder: its URL, its [target] config (tokens, template version ids), its controls. */
export async function startMock({ profile = "stable", version, seed = 1, timeoutMs = 30000 } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "tasks-mock-"));
  const args = ["serve", "--control", "--seed", String(seed), "--profile", profile, "--port", "0",
    "--lifecycle-delay", "0.05", "--reply-delay", "0.05", "--write-config", join(dir, "mock.toml")];
  if (version) args.push("--version", version);
  const child = spawn(BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  let ready;
  try {
    ready = await readyLine(child, timeoutMs, () => stderr);
  } catch (error) {
    child.kill();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const config = targetOf(await readFile(ready.config, "utf8"));

  async function control(method, path, body) {
    const response = await fetch(ready.url + CONTROL + path, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(`control ${method} ${path}: ${response.status} ${answer.message}`);
    return answer;
  }

  return {
    url: ready.url,
    config,
    control,
    /** Stop serve (SIGTERM); its exit code and what it wrote on stderr (the findings' summary, if any). */
    async stop() {
      child.kill("SIGTERM");
      const code = await exited;
      await rm(dir, { recursive: true, force: true });
      return { code, stderr };
    },
  };
}
