// The client's tests against a fake Coder of two releases: a busy agent's send is 502 before v2.32 and 409 from it.
// Run: node --test examples/node-client/test/*.test.mjs   (needs `tasks-conformance` on PATH or $TASKS_CONFORMANCE_BIN)

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { TasksApiError, TasksClient } from "../client.mjs";
import { startMock } from "../fake-coder.mjs";

const RELEASES = [
  { version: "v2.31.0", busy: 502 },
  { version: "v2.32.0", busy: 409 },
];

for (const { version, busy } of RELEASES) {
  describe(`against a fake Coder ${version}`, () => {
    let mock;
    let client;

    before(async () => {
      mock = await startMock({ profile: "stable", version });
      client = new TasksClient({ url: mock.url, apiPrefix: mock.config.api_prefix, token: mock.config.token });
    });

    after(async () => {
      const { code, stderr } = await mock.stop();
      assert.equal(code, 0);
      assert.match(stderr, /tasks mock: 1 client finding\(s\)/); // the last test's, summed up when serve stops
    });

    beforeEach(() => mock.control("POST", "/reset"));

    test("reads a preloaded paused task, its log snapshot, and is refused a send to it", async () => {
      const { id } = await mock.control("POST", "/tasks", {
        status: "paused", prompt: "Fix the bug", logs: [["input", "Fix the bug"], ["output", "Fixed."]],
      });
      const task = await client.get(id);
      assert.equal(task.status, "paused");
      const logs = await client.logs(id);
      assert.deepEqual(logs.logs.map((entry) => [entry.type, entry.content]),
        [["input", "Fix the bug"], ["output", "Fixed."]]);
      await assert.rejects(client.send(id, "Anything else?"), (error) => error.status === 409);
    });

    test(`a busy agent's send is ${busy}, retried, then accepted once the agent is free`, async () => {
      const { id } = await mock.control("POST", "/tasks", { status: "active", prompt: "Fix the bug" });
      await mock.control("POST", `/tasks/${id}/busy`, { busy: true });
      await assert.rejects(client.send(id, "Add a test", { retries: 2, delayMs: 10 }),
        (error) => error instanceof TasksApiError && error.status === busy);
      const { requests } = await mock.control("GET", "/requests");
      const sends = requests.filter((r) => r.method === "POST" && r.path.endsWith(`/${id}/send`));
      assert.deepEqual(sends.map((r) => r.status), [busy, busy, busy]); // the first try and two retries
      assert.ok(sends.every((r) => r.headers["coder-session-token"] === "***"), "the token is masked");
      await mock.control("POST", `/tasks/${id}/busy`, { busy: false });
      await client.send(id, "Add a test");
    });

    test("creates a task, reads the scripted reply, deletes it: no finding", async () => {
      await mock.control("POST", "/replies", { replies: ["Done: the test is green."] });
      const created = await client.create({ input: "Fix the flaky test", templateVersionId: mock.config.template_version_id });
      await client.waitFor(created.id, (task) => task.status === "active");
      await client.send(created.id, "Also add a regression test.");
      const deadline = Date.now() + 5000;
      let contents = [];
      while (!contents.includes("Done: the test is green.") && Date.now() < deadline) {
        contents = (await client.logs(created.id)).logs.map((entry) => entry.content);
      }
      assert.ok(contents.includes("Done: the test is green."), JSON.stringify(contents));
      await client.remove(created.id);
      const { findings, summary } = await mock.control("GET", "/findings");
      assert.deepEqual(findings, [], summary);
    });

    test("the findings name what a real server would refuse, with the request and the contract", async () => {
      const { id } = await mock.control("POST", "/tasks", { status: "active", prompt: "Fix the bug" });
      await assert.rejects(client.send(id, ""), (error) => error.status === 400);
      const { findings, summary } = await mock.control("GET", "/findings");
      assert.equal(findings.length, 1, summary);
      const [finding] = findings;
      assert.equal(finding.kind, "body");
      assert.equal(finding.method, "POST");
      assert.ok(finding.path.endsWith(`/${id}/send`));
      assert.match(finding.contract, /SendTaskInputRequest/);
      const { requests } = await mock.control("GET", "/requests");
      assert.equal(requests.find((r) => r.seq === finding.request_seq)?.status, 400);
    });
  });
}
