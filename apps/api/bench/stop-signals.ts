/**
 * How the bench's processes (serve.ts, writer.ts) end: on SIGTERM or SIGINT they run their
 * `stop` once (a second signal while it runs is ignored) and exit 0, or print its error and
 * exit 1.
 */
export function onStopSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
