import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { GuardDaemon } from "../../../src/daemon/guard-daemon.js";
import { GuardLogger } from "../../../src/daemon/guard-logger.js";
import { loadGuardConfig } from "../../../src/daemon/load-guard-config.js";
import { createLab, nsNft, startLabDaemon, waitFor } from "./guard-lab.js";

const filter = fileURLToPath(
  new URL("../../../../test/fixtures/guard/filter.d/guard-test.conf", import.meta.url),
);

describe("guard daemon in-process: actions, self-healing table", () => {
  const dir = mkdtempSync(join(tmpdir(), "rampart-guard-actions-"));
  const lab = createLab("rgda", ["server"]);
  const posts: Record<string, string>[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      posts.push(JSON.parse(body) as Record<string, string>);
      res.end("ok");
    });
  });
  after(() => {
    server.close();
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs commands with the address as one argument (no shell) and posts JSON to webhooks", async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const out = join(dir, "actions.txt");
    const pwned = join(dir, "pwned");
    const script = `require("fs").appendFileSync(${JSON.stringify(out)}, JSON.stringify(process.argv.slice(1)) + "\\n")`;
    const config = join(dir, "rampart.yaml");
    writeFileSync(join(dir, "auth.log"), "");
    writeFileSync(
      config,
      `guard:
  database: ${dir}/rampart.db
  socket: ${dir}/rampart.sock
  jails:
    test:
      filter: ${filter}
      logpath: ${dir}/auth.log
      actions:
        - command: [${JSON.stringify(process.execPath)}, "-e", ${JSON.stringify(script)}, "{action}", "{ip}", "{jail}; touch ${pwned}"]
        - webhook: http://127.0.0.1:${port}/hook
        - command: [${JSON.stringify(process.execPath)}, "-e", "process.exit(3)"]
`,
    );
    const { daemon, lines: notices } = await startLabDaemon(lab, config);
    try {
      assert.ok((await daemon.handle({ op: "ban", jail: "test", address: "2001:db8::7" })).ok);
      assert.ok((await daemon.handle({ op: "unban", address: "2001:db8::7" })).ok);
      assert.ok(
        await waitFor(
          () => posts.length === 2 && existsSync(out) && readFileSync(out, "utf8").split("\n").length === 3,
          5000,
        ),
      );
      const calls = readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as string[]);
      assert.deepEqual(calls, [
        ["ban", "2001:db8::7", `test; touch ${pwned}`],
        ["unban", "2001:db8::", `test; touch ${pwned}`],
      ]);
      assert.equal(existsSync(pwned), false);
      assert.equal(posts[0]?.action, "ban");
      assert.equal(posts[0]?.target, "2001:db8::/64");
      assert.equal(posts[0]?.jail, "test");
      assert.equal(posts[1]?.action, "unban");
      assert.ok(await waitFor(() => notices.some((n) => /exited with 3/.test(n)), 3000), notices.join("\n"));
    } finally {
      await daemon.stop();
    }
  });

  it("puts its table back with every ban when it vanishes while running (nft flush ruleset)", async () => {
    const config = join(dir, "heal.yaml");
    writeFileSync(join(dir, "heal.log"), "");
    writeFileSync(
      config,
      `guard:\n  database: ${dir}/heal.db\n  socket: ${dir}/heal.sock\n  jails:\n    test:\n      filter: ${filter}\n      logpath: ${dir}/heal.log\n`,
    );
    const loaded = loadGuardConfig(config);
    assert.ok(loaded.ok);
    const notices: string[] = [];
    const daemon = new GuardDaemon({
      config: loaded.config,
      logger: new GuardLogger(undefined, (l) => notices.push(l)),
      reloadConfig: () => loadGuardConfig(config),
      nftCommand: ["ip", "netns", "exec", lab.ns.server!, "nft"],
      tableCheckSeconds: 0.2,
    });
    await daemon.start();
    try {
      assert.ok((await daemon.handle({ op: "ban", jail: "test", address: "192.0.2.77" })).ok);
      nsNft(lab, ["flush", "ruleset"]);
      const back = () => {
        try {
          return /192\.0\.2\.77/.test(
            nsNft(lab, ["get", "element", "inet", "rampart_guard", "banned4", "{ 192.0.2.77 }"]),
          );
        } catch {
          return false;
        }
      };
      assert.ok(await waitFor(back, 5000), notices.join("\n"));
      assert.ok(notices.some((n) => /is gone; restoring it/.test(n)));
      // Bans after the re-installation go through a fresh nft session.
      assert.ok((await daemon.handle({ op: "ban", jail: "test", address: "192.0.2.78" })).ok);
      assert.match(
        nsNft(lab, ["get", "element", "inet", "rampart_guard", "banned4", "{ 192.0.2.78 }"]),
        /192\.0\.2\.78/,
      );
    } finally {
      await daemon.stop();
    }
  });
});
