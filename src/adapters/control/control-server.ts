import { chmodSync, lstatSync, mkdirSync, unlinkSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import { RampartError } from "../../core/errors/rampart-error.js";
import {
  type ControlRequest,
  type ControlResponse,
  MAX_MESSAGE_BYTES,
  parseControlRequest,
} from "../../core/protocol/control-protocol.js";

export type ControlHandler = (request: ControlRequest) => Promise<ControlResponse>;

const IDLE_TIMEOUT_MS = 30_000;

/**
 * The daemon's side of the control socket: a Unix socket with mode 0600 in a 0700 directory, so
 * only root (the daemon's user) can ban or unban. Newline-delimited JSON, one response per request.
 */
export class ControlServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly path: string,
    private readonly handler: ControlHandler,
  ) {}

  async listen(): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    this.removeStale();
    const server = createServer((socket) => this.serve(socket));
    this.server = server;
    // umask-independent: the socket is created, then narrowed before anyone can be told it exists.
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.path, () => {
        server.off("error", reject);
        resolve();
      });
    });
    chmodSync(this.path, 0o600);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      unlinkSync(this.path);
    } catch {}
  }

  /** A socket file left by a killed daemon would make listen() fail with EADDRINUSE. */
  private removeStale(): void {
    let st: ReturnType<typeof lstatSync> | undefined;
    try {
      st = lstatSync(this.path);
    } catch {
      return;
    }
    if (!st.isSocket()) {
      throw new RampartError(
        "control.path",
        `Cannot create the control socket: "${this.path}" exists and is not a socket`,
      );
    }
    unlinkSync(this.path);
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let buffer = "";
    let busy = Promise.resolve();
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_MESSAGE_BYTES) {
        socket.end(`${JSON.stringify({ ok: false, error: "Request too large" })}\n`);
        return;
      }
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
        if (line.trim() === "") continue;
        // Requests on one connection are answered in order.
        busy = busy.then(() => this.answer(socket, line));
      }
    });
  }

  private async answer(socket: Socket, line: string): Promise<void> {
    const request = parseControlRequest(line);
    let response: ControlResponse;
    if (typeof request === "string") response = { ok: false, error: request };
    else {
      try {
        response = await this.handler(request);
      } catch (error) {
        response = { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
    }
    if (!socket.destroyed) socket.write(`${JSON.stringify(response)}\n`);
  }
}
