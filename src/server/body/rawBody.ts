import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../../errors';

/**
 * Reads a request body as raw bytes (signatures are over the exact bytes; the admin API parses
 * them with the same strict reader) inside the handler rather than as route middleware, so an
 * oversized or unreadable body is refused by the same code path that logs and counts every other
 * refusal, and only after the cheaper checks (path, content type, authentication) passed.
 *
 * `Content-Encoding: gzip | deflate | br` is inflated; the limit applies to the inflated bytes.
 * Over the limit, reading stops at once: a declared Content-Length above it is refused before a
 * byte is read, and nothing more is read of the rest (the answer closes the connection). A
 * reader that drained the rest first would answer a client that declared 1 MiB and sent 10 bytes
 * only when the request timeout cut it off.
 */
export function readRawBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const declared = Number(req.headers['content-length']);
  if (encoding === 'identity' && declared > limitBytes) return Promise.reject(new PayloadTooLargeError(limitBytes));
  const decoder = decoderFor(encoding);
  if (decoder === null) {
    return Promise.reject(new UnsupportedMediaTypeError(`content-encoding ${JSON.stringify(encoding)} is not supported (gzip, deflate, br or none)`));
  }
  return collect(req, decoder, limitBytes);
}

/** The inflating stream for an encoding; undefined for none, null for one that is not supported. */
function decoderFor(encoding: string): Transform | undefined | null {
  switch (encoding) {
    case 'identity':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip();
    case 'deflate':
      return zlib.createInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    default:
      return null;
  }
}

function collect(req: IncomingMessage, decoder: Transform | undefined, limitBytes: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const source: Readable = decoder ? req.pipe(decoder) : req;
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const settle = (err: unknown, body?: Buffer) => {
      if (done) return;
      done = true;
      source.removeListener('data', onData);
      if (err) {
        // Stop reading: the error answer closes the connection instead of draining the rest.
        if (decoder) {
          req.unpipe(decoder);
          decoder.destroy();
        }
        req.pause();
        reject(err);
      } else resolve(body!);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) settle(new PayloadTooLargeError(limitBytes));
      else chunks.push(chunk);
    };
    source.on('data', onData);
    source.once('end', () => settle(undefined, Buffer.concat(chunks, size)));
    if (decoder) decoder.on('error', () => settle(new BadRequestError('request body could not be decompressed as its content-encoding says')));
    req.once('close', () => {
      if (!req.complete) settle(new BadRequestError('request aborted by the client'));
    });
    req.on('error', (err) => settle(err));
  });
}
