/**
 * A minimal SSE reader over fetch for tests: collects parsed events (id, event name,
 * data) and comments (heartbeats) from a live stream until asked to stop.
 */

/** One received SSE message. */
export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/** An open stream. */
export interface SseConnection {
  readonly messages: SseMessage[];
  readonly comments: string[];
  /** Resolves once `predicate` holds over what arrived (polls each chunk; rejects after `timeoutMs`). */
  until(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

/** Opens an SSE stream with optional headers. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { Accept: "text/event-stream", ...headers }, signal: controller.signal });
  if (!response.ok || response.body === null) throw new Error(`SSE ${url} answered ${response.status}`);
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let id: string | undefined;
          let event = "message";
          const data: string[] = [];
          let hasField = false;
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) comments.push(line.slice(1).trim());
            else if (line.startsWith("id:")) {
              id = line.slice(3).trim();
              hasField = true;
            } else if (line.startsWith("event:")) {
              event = line.slice(6).trim();
              hasField = true;
            } else if (line.startsWith("data:")) {
              data.push(line.slice(5).replace(/^ /, ""));
              hasField = true;
            }
          }
          if (hasField && data.length > 0) messages.push({ id, event, data: data.join("\n") });
        }
        for (const w of [...waiters]) w();
      }
    } catch {
      // aborted
    }
  })();
  return {
    messages,
    comments,
    until(predicate, timeoutMs = 10_000) {
      if (predicate()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (predicate()) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`SSE condition not met; got ${JSON.stringify(messages).slice(0, 500)}`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close() {
      controller.abort();
    },
  };
}
