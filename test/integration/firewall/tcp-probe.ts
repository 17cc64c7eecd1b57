import { connect, type Socket } from "node:net";

// Opens TCP connections from inside a lab namespace and reports each outcome as JSON:
// "ok" (handshake done), "refused" (RST / ICMP unreachable) or "timeout" (dropped).
// Usage: tcp-probe HOST PORT COUNT [hold] [timeoutMs]. "hold" keeps earlier connections open
// while opening the next (concurrency); otherwise each is closed before the next one starts.
const [host = "", portText = "", countText = "1", mode = "seq", timeoutText = "700"] = process.argv.slice(2);
const port = Number(portText);
const timeoutMs = Number(timeoutText);
const held: Socket[] = [];

function attempt(): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("timeout");
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      if (mode === "hold") held.push(socket);
      else socket.destroy();
      resolve("ok");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(
        error.code === "ECONNREFUSED" || error.code === "ECONNRESET" ? "refused" : `error:${error.code}`,
      );
    });
  });
}

const results: string[] = [];
for (let i = 0; i < Number(countText); i++) results.push(await attempt());
process.stdout.write(`${JSON.stringify(results)}\n`);
for (const s of held) s.destroy();
