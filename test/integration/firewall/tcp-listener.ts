import { createServer, type Socket } from "node:net";

// A real listener for the firewall labs: accepts on every given port (IPv4 and IPv6, dual
// stack) and keeps connections open until the peer closes, so concurrent-connection limits can
// be observed. Prints "ready" once every port listens. Run inside a namespace with lab.spawn.
const ports = process.argv.slice(2).map(Number);
const sockets = new Set<Socket>();
let listening = 0;
for (const port of ports) {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen({ port, host: "::", ipv6Only: false }, () => {
    listening++;
    if (listening === ports.length) process.stdout.write("ready\n");
  });
}
process.on("SIGTERM", () => process.exit(0));
