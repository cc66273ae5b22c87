/**
 * Bearer-token guard of the admin API. Both tokens are hashed first so the
 * constant-time comparison always sees equal-length buffers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Adds an onRequest hook to this plugin scope: 401 unless `Authorization: Bearer <adminToken>`. */
export function requireBearer(app: FastifyInstance, adminToken: string): void {
  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization;
    const m = header === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!m) {
      reply.header('www-authenticate', 'Bearer realm="tollgate"');
      throw new HttpError(401, 'UNAUTHORIZED', 'missing bearer token: send "Authorization: Bearer <http.adminToken>"');
    }
    if (!tokenMatches(m[1]!, adminToken)) {
      reply.header('www-authenticate', 'Bearer realm="tollgate", error="invalid_token"');
      throw new HttpError(401, 'UNAUTHORIZED', 'wrong bearer token');
    }
  });
}
