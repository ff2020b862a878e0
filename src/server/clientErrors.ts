import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../errors';
import type { Logger } from '../logger';
import { errorBody } from './errorBody';

/** How Node's HTTP parser refusals map to answers (the same statuses Node itself would send). */
function refusal(err: NodeJS.ErrnoException): { status: number; code: ErrorCode; message: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'headers_too_large', message: 'request headers are too large' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, code: 'payload_too_large', message: 'chunk extensions are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'request_timeout', message: 'the request was not received in time (HTTP_HEADERS_TIMEOUT / HTTP_REQUEST_TIMEOUT)' };
    default:
      return { status: 400, code: 'bad_request', message: 'malformed HTTP request' };
  }
}

/**
 * Requests Node refuses before any route sees them (malformed HTTP, oversized headers, a request
 * not received within the timeouts) get the documented JSON error shape instead of Node's empty
 * body, whenever the socket can still take an answer; the connection is closed either way.
 */
export function answerClientErrors(server: Server, logger: Logger): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, code, message } = refusal(err);
    logger.debug({ status, code: err.code }, 'HTTP request refused by the parser');
    const body = JSON.stringify(errorBody(code, message));
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
      // Whatever the client still sends (the rest of a declared body) is not waited for.
      () => socket.destroy(),
    );
  });
}
