import { connect } from "node:net";
import { ExitCode, RampartError } from "../../core/errors/rampart-error.js";
import type { ControlRequest, ControlResponse } from "../../core/protocol/control-protocol.js";

/** Sends one request to the guard's socket and waits for its response line. */
export function sendControlRequest(
  path: string,
  request: ControlRequest,
  timeoutMs = 15_000,
): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buffer = "";
    let settled = false;
    const fail = (error: RampartError) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () =>
      fail(
        new RampartError(
          "control.timeout",
          `The guard did not answer within ${timeoutMs / 1000} s on "${path}"`,
        ),
      ),
    );
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf("\n");
      if (newline < 0) return;
      settled = true;
      socket.end();
      try {
        resolve(JSON.parse(buffer.slice(0, newline)) as ControlResponse);
      } catch (cause) {
        reject(new RampartError("control.protocol", "The guard sent an invalid response", { cause }));
      }
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ECONNREFUSED") {
        fail(
          new RampartError(
            "guard.not-running",
            `The guard is not running (no daemon listening on "${path}")`,
            {
              exitCode: ExitCode.failure,
            },
          ),
        );
      } else if (error.code === "EACCES") {
        fail(
          new RampartError(
            "control.access",
            `Permission denied on "${path}": the guard's socket is root-only`,
          ),
        );
      } else
        fail(
          new RampartError("control.io", `Cannot talk to the guard on "${path}": ${error.message}`, {
            cause: error,
          }),
        );
    });
    socket.on("end", () => {
      if (!settled)
        fail(new RampartError("control.closed", "The guard closed the connection without answering"));
    });
  });
}
