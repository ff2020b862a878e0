import net from 'node:net';

export interface RawExchange {
  /** Everything the server wrote before closing (or before the deadline). */
  text: string;
  status?: number;
  headers: Record<string, string>;
  body: string;
  /** Whether the server closed the connection before the deadline. */
  closed: boolean;
}

/**
 * Writes `chunks` to a fresh TCP connection exactly as given (requests fetch cannot make: a body
 * shorter than its Content-Length, a header too large, malformed HTTP) and collects the answer
 * until the server closes the connection or `deadlineMs` passes (then `closed` is false).
 */
export function rawExchange(port: number, chunks: Array<string | Buffer>, deadlineMs: number): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parse(Buffer.concat(received).toString('utf8'), closed));
    };
    const timer = setTimeout(() => finish(false), deadlineMs);
    socket.on('data', (d) => received.push(d));
    socket.on('close', () => finish(true));
    socket.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? finish(true) : reject(err)));
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
    });
  });
}

function parse(text: string, closed: boolean): RawExchange {
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const status = /^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1];
  const headers = Object.fromEntries(
    headerLines.filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { text, status: status ? Number(status) : undefined, headers, body: rest.join('\r\n\r\n'), closed };
}
