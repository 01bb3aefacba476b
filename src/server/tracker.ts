/**
 * GET /tracker.js: the browser tracker (./tracker-script.ts), the same bytes
 * for the life of the process, gzipped once at start for the browsers that
 * accept it (all of them: 4 KB instead of 11), with an ETag per encoding so
 * that a browser revalidates with a 304 once its hour of cache is over. No
 * auth: a site embeds it with its write key in a data attribute (README,
 * "Browser tracker").
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { TRACKER_SOURCE } from './tracker-script.js';

export const TRACKER_PATH = '/tracker.js';

const plain = Buffer.from(TRACKER_SOURCE, 'utf8');
const gzipped = gzipSync(plain, { level: 9 });
const hash = createHash('sha256').update(plain).digest('base64url').slice(0, 27);
export const TRACKER_ETAG = `"${hash}"`;
const GZIP_ETAG = `"${hash}-gzip"`;

/** If-None-Match names the tag (weak or strong, in a list) or is `*`. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

/** Accept-Encoding names gzip (or *) with a weight above 0. */
function acceptsGzip(header: string | undefined): boolean {
  return (header ?? '').split(',').some((part) => {
    const [coding, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return (coding === 'gzip' || coding === '*') && (q === undefined || Number(q.slice(2)) > 0);
  });
}

export function trackerRoutes(app: FastifyInstance): void {
  app.get(TRACKER_PATH, async (request, reply) => {
    const gzip = acceptsGzip(request.headers['accept-encoding']);
    const etag = gzip ? GZIP_ETAG : TRACKER_ETAG;
    reply.headers({
      etag,
      vary: 'Accept-Encoding',
      // An hour fresh, then a cheap revalidation: a new version of ops reaches every site within the hour.
      'cache-control': 'public, max-age=3600',
      'x-content-type-options': 'nosniff',
      // Sites that isolate themselves (COEP require-corp) may still load it.
      'cross-origin-resource-policy': 'cross-origin',
    });
    if (matches(request.headers['if-none-match'], etag)) return reply.code(304).send();
    reply.type('application/javascript; charset=utf-8');
    if (gzip) reply.header('content-encoding', 'gzip');
    return reply.send(gzip ? gzipped : plain);
  });
}
