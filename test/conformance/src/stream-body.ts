/**
 * A client that streams a large request body (chunked, no `Content-Length`) and stops the moment an
 * answer arrives: how a server that refuses early is told apart from one that buffers the body first.
 * It never holds more than one 64 KiB chunk of the body itself.
 */
import { request } from 'node:https';

export interface StreamedAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** Body bytes handed to the socket before the answer arrived. */
  readonly sent: number;
}

export function streamBody(
  url: string,
  totalBytes: number,
  headers: Record<string, string>,
  ca: string,
): Promise<StreamedAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      ca,
      agent: false,
      headers: { ...headers, 'transfer-encoding': 'chunked' },
    });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const sentBeforeAnswer = sent;
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(parts).toString('utf8'),
          sent: sentBeforeAnswer,
        });
        req.destroy();
      });
      res.on('error', reject);
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const pump = () => {
      while (!answered && sent < totalBytes) {
        sent += chunk.length;
        if (
          !req.write(sent === chunk.length ? Buffer.concat([Buffer.from('logout_token='), chunk]) : chunk)
        ) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}
