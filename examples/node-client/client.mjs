// A tiny client of Coder's Tasks API: what a GitHub Action, a bot or an IDE extension would carry.
// Node's built-in fetch, no dependencies. Its tests (test/) run it against `tasks-conformance serve`,
// a fake Coder of the release the test names.

/** An answer other than 2xx: its status and Coder's error message. */
export class TasksApiError extends Error {
  constructor(method, path, status, body) {
    super(`${method} ${path}: ${status} ${body?.message ?? ""}`.trim());
    this.status = status;
    this.body = body;
  }
}

// Coder's answer to a send while the task's agent cannot take input: 409 from v2.32, 502 before
// (coderd/aitasks.go taskSend, coder/coder#23424). Worth a retry; a paused task's 409 is not.
const AGENT_NOT_READY = "Task app is not ready to accept input.";

export class TasksClient {
  /**
   * @param {{url: string, apiPrefix?: string, token: string, fetch?: typeof fetch}} options
   *   url: the deployment, e.g. https://coder.example.com; apiPrefix: /api/v2 (v2.29 and later) or
   *   /api/experimental (earlier releases).
   */
  constructor({ url, apiPrefix = "/api/v2", token, fetch: fetchImpl = globalThis.fetch }) {
    this.base = url.replace(/\/+$/, "") + apiPrefix;
    this.token = token;
    this.fetch = fetchImpl;
  }

  async request(method, path, body) {
    const headers = { "Coder-Session-Token": this.token, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await this.fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : null;
    if (!response.ok) throw new TasksApiError(method, path, response.status, parsed);
    return parsed;
  }

  list(q) {
    return this.request("GET", "/tasks" + (q ? `?q=${encodeURIComponent(q)}` : ""));
  }

  create({ input, templateVersionId, name, displayName, owner = "me" }) {
    const body = { input, template_version_id: templateVersionId };
    if (name) body.name = name;
    if (displayName) body.display_name = displayName;
    return this.request("POST", `/tasks/${owner}`, body);
  }

  get(task, owner = "me") {
    return this.request("GET", `/tasks/${owner}/${task}`);
  }

  logs(task, owner = "me") {
    return this.request("GET", `/tasks/${owner}/${task}/logs`);
  }

  /** Send input; a busy agent's refusal is retried `retries` times, `delayMs` apart. */
  async send(task, input, { owner = "me", retries = 0, delayMs = 200 } = {}) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.request("POST", `/tasks/${owner}/${task}/send`, { input });
      } catch (error) {
        const busy = error instanceof TasksApiError && [409, 502].includes(error.status)
          && error.body?.message === AGENT_NOT_READY;
        if (!busy || attempt >= retries) throw error;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  pause(task, owner = "me") {
    return this.request("POST", `/tasks/${owner}/${task}/pause`);
  }

  resume(task, owner = "me") {
    return this.request("POST", `/tasks/${owner}/${task}/resume`);
  }

  remove(task, owner = "me") {
    return this.request("DELETE", `/tasks/${owner}/${task}`);
  }

  /** Poll the task until `done(task)` holds; throws after `timeoutMs`. */
  async waitFor(task, done, { timeoutMs = 10000, intervalMs = 50 } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await this.get(task);
      if (done(current)) return current;
      if (Date.now() > deadline) throw new Error(`task ${task} still ${current.status} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
