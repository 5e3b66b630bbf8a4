/**
 * Test support: a TCP relay to a PostgreSQL server that a test cuts (refusing and dropping
 * every connection, as an outage does) and opens again on the same port. The outage tests
 * of the trading package and the worker put it between their code and TEST_DATABASE_URL.
 */
import { type AddressInfo, type Server, type Socket, createConnection, createServer } from "node:net";

/** A TCP relay that can be cut and opened again (see the module header). */
export class TcpRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** The port it listens on (0 until the first open picks one; kept across cuts). */
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** A relay to the server of a postgresql:// URL. */
  static toUrl(url: string): TcpRelay {
    const target = new URL(url);
    return new TcpRelay({ host: target.hostname || "127.0.0.1", port: Number(target.port || 5432) });
  }

  /** `url` with its host and port replaced by this relay's (open it first). */
  via(url: string): string {
    const through = new URL(url);
    through.hostname = "127.0.0.1";
    through.port = String(this.port);
    return through.toString();
  }

  /** Listens on 127.0.0.1 (the same port after a cut) and relays every connection. */
  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.target);
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Drops every connection and stops listening (new connections are refused). */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}
