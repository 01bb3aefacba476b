/**
 * GET /tracker.js: the browser tracker (./tracker-script.ts), the same bytes
 * for the life of the process, with an ETag so that a browser revalidates
 * with a 304 once its hour of cache is over. No auth: a site embeds it with
 * its write key in a data attribute (README, "Browser tracker").
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { TRACKER_SOURCE } from './tracker-script.js';

export const TRACKER_PATH = '/tracker.js';

const body = Buffer.from(TRACKER_SOURCE, 'utf8');
export const TRACKER_ETAG = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;

/** If-None-Match holds our tag (weak or strong, in a list) or `*`. */
function matches(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === TRACKER_ETAG;
  });
}

export function trackerRoutes(app: FastifyInstance): void {
  app.get(TRACKER_PATH, async (request, reply) => {
    reply.headers({
      etag: TRACKER_ETAG,
      // An hour fresh, then a cheap revalidation: a new version of ops reaches every site within the hour.
      'cache-control': 'public, max-age=3600',
      'x-content-type-options': 'nosniff',
      // Sites that isolate themselves (COEP require-corp) may still load it.
      'cross-origin-resource-policy': 'cross-origin',
    });
    if (matches(request.headers['if-none-match'])) return reply.code(304).send();
    return reply.type('application/javascript; charset=utf-8').send(body);
  });
}
