/**
 * The admin API's error vocabulary and the one error handler that maps
 * validation issues, ledger outages and unexpected failures to JSON bodies.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { LedgerError, type LedgerErrorCode } from '../ledger/errors.js';
import { LedgerUnavailableError } from '../ledger/types.js';

export interface FieldError {
  path: string;
  message: string;
}

/** An error the API answers with a given status and stable code. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldError[],
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new HttpError(404, 'NOT_FOUND', `${what} does not exist`);

export function badRequest(fields: FieldError[]): HttpError {
  const summary = fields.map((f) => `${f.path || '(body)'}: ${f.message}`).join('; ');
  return new HttpError(400, 'BAD_REQUEST', `invalid request: ${summary}`, fields);
}

/** How each ledger refusal reads over HTTP. */
const LEDGER_STATUS: Record<LedgerErrorCode, [number, string]> = {
  BAD_INPUT: [400, 'BAD_REQUEST'],
  UNKNOWN_TENANT: [404, 'NOT_FOUND'],
  UNKNOWN_HOLD: [404, 'NOT_FOUND'],
  HOLD_ENDED: [409, 'CONFLICT'],
  CURRENCY_MISMATCH: [409, 'CONFLICT'],
  CURRENCY_LOCKED: [409, 'CONFLICT'],
  TENANT_BUSY: [409, 'CONFLICT'],
  NUMBER_TAKEN: [409, 'CONFLICT'],
  ADMIN_EXISTS: [409, 'CONFLICT'],
  SCRIPT_FAILED: [500, 'INTERNAL'],
  // This instance's clock is wrong: another instance can serve the request.
  CLOCK_SKEW: [503, 'CLOCK_SKEW'],
};

interface ValidationItem {
  instancePath: string;
  message?: string;
  keyword: string;
  params?: Record<string, unknown>;
}

/** One entry per bad field; an unknown key is named as the field itself. */
function fieldsOf(items: readonly ValidationItem[]): FieldError[] {
  const fields: FieldError[] = [];
  for (const item of items) {
    const base = item.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const keys = item.params?.keys;
    if (item.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
      for (const key of keys) fields.push({ path: base ? `${base}.${String(key)}` : String(key), message: 'unknown field' });
    } else {
      fields.push({ path: base, message: item.message ?? item.keyword });
    }
  }
  return fields;
}

/**
 * Fastify's own client errors (malformed JSON, body too large, wrong content
 * type, URL too long) in the API's vocabulary: never an FST_ERR_* code.
 */
const CLIENT_ERRORS: Readonly<Record<number, [string, (message: string, limit: number) => string]>> = {
  400: ['BAD_REQUEST', (m) => m],
  404: ['NOT_FOUND', (m) => m],
  405: ['METHOD_NOT_ALLOWED', (m) => m],
  413: ['PAYLOAD_TOO_LARGE', (_m, limit) => `the request body is larger than ${limit} bytes`],
  414: ['URI_TOO_LONG', () => 'the URL is too long (a path segment is longer than the router allows)'],
  415: ['UNSUPPORTED_MEDIA_TYPE', () => 'send request bodies as application/json'],
};

/** The body limit the app is built with (buildApp passes the same number to fastify). */
export const BODY_LIMIT_BYTES = 64 * 1024;

export function sendClientError(reply: FastifyReply, status: number, message: string) {
  const [code, text] = CLIENT_ERRORS[status] ?? ['BAD_REQUEST', (m: string) => m];
  const readable = text(message, BODY_LIMIT_BYTES);
  return reply.code(status).send({ error: code, message: readable, ...(status === 400 ? { fields: [{ path: '', message: readable }] } : {}) });
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HttpError | Error, request, reply) => {
    if (err instanceof HttpError) {
      return reply
        .code(err.statusCode)
        .send({ error: err.code, message: err.message, ...(err.fields ? { fields: err.fields } : {}) });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = (err as FastifyError).validationContext ?? 'request';
      const e = badRequest(fieldsOf(err.validation));
      return reply.code(400).send({ error: e.code, message: `${where}: ${e.message}`, fields: e.fields });
    }
    if (err instanceof LedgerError) {
      const [status, code] = LEDGER_STATUS[err.code] ?? [500, 'INTERNAL'];
      if (status >= 500) request.log.error({ err }, 'ledger refused a request');
      return reply
        .code(status)
        .send({ error: code, message: err.message, ...(status === 400 ? { fields: [{ path: '', message: err.message }] } : {}) });
    }
    if (err instanceof LedgerUnavailableError) {
      request.log.warn({ err }, 'ledger unavailable');
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ error: 'UNAVAILABLE', message: `the ledger (Redis) is unavailable: ${err.message}; retry later` });
    }
    const status = (err as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return sendClientError(reply, status, err.message);
    request.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'INTERNAL', message: 'internal error; see the gateway log' });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });
}
