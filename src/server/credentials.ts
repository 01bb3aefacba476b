/**
 * What an Authorization header carries, read once for every endpoint: a
 * Bearer token, or Basic's user name and password (password undefined when
 * the decoded value has no colon). The admin token is compared by digest in
 * constant time, whoever presents it (the admin API as Bearer, the dashboard
 * as Basic's password).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type Credentials = { scheme: 'bearer'; token: string } | { scheme: 'basic'; user: string; password: string | undefined };

export function readAuthorization(header: string | undefined): Credentials | undefined {
  if (!header) return undefined;
  const [scheme, rest = ''] = header.trim().split(/\s+/, 2);
  if (/^bearer$/i.test(scheme)) return { scheme: 'bearer', token: rest };
  if (!/^basic$/i.test(scheme)) return undefined;
  const decoded = Buffer.from(rest, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1
    ? { scheme: 'basic', user: decoded, password: undefined }
    : { scheme: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** A check of a presented token against the configured one; undefined when none is configured. */
export function tokenCheck(expected: string | undefined): ((presented: string | undefined) => boolean) | undefined {
  if (!expected) return undefined;
  const want = digest(expected);
  return (presented) => presented !== undefined && timingSafeEqual(digest(presented), want);
}
