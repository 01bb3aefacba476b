/**
 * Request bodies the ingest takes: JSON as application/json, text/plain (what
 * analytics.js sends, to avoid a CORS preflight) or without a type, plain or
 * gzip. Limits are on the bytes after decompression, so a small gzip bomb is
 * a 413 like any other oversize body; gzip that is not gzip is a 400.
 */
import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance } from 'fastify';

export const MAX_REQUEST_BYTES = 500 * 1024;

class BadRequest extends Error {
  readonly statusCode = 400;
}

export function acceptBodies(app: FastifyInstance): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding === 'identity') return payload;
    if (encoding !== 'gzip' && encoding !== 'deflate') {
      throw Object.assign(new Error(`Content-Encoding ${encoding.slice(0, 40)} is not supported: send identity or gzip`), { statusCode: 415 });
    }
    const inflate = encoding === 'gzip' ? createGunzip() : createInflate();
    // Fastify compares Content-Length with what it read: the compressed count, kept here.
    const counted = inflate as typeof inflate & { receivedEncodedLength: number };
    counted.receivedEncodedLength = 0;
    payload.on('data', (chunk: Buffer) => (counted.receivedEncodedLength += chunk.length));
    payload.on('error', (err) => inflate.destroy(err));
    inflate.on('error', (err) => Object.assign(err, { statusCode: (err as { statusCode?: number }).statusCode ?? 400 }));
    payload.pipe(inflate);
    return inflate;
  });
  const parseJson = (_req: unknown, body: string, done: (err: Error | null, value?: unknown) => void) => {
    try {
      done(null, JSON.parse(body));
    } catch (err) {
      done(new BadRequest(`the body is not JSON: ${(err as Error).message}`));
    }
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, parseJson);
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJson);
}
