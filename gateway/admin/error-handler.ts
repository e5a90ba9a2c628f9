// JSON errors everywhere on the admin port: `{ error, message, details? }`. Bad input is a
// 4xx naming the problem; anything unexpected is a 500 that reveals no internals.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fromDomainError, HttpError, type ErrorBody, type ErrorDetail } from '../shared/errors.js';
import { errorText } from '../../domain/errors.js';

interface AjvIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

const CONTEXT_NAMES: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'headers',
};

function joinPath(context: string, instancePath: string, leaf?: unknown): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (typeof leaf === 'string' && leaf.length > 0) parts.push(leaf);
  return [context, ...parts].join('.');
}

export function validationDetails(issues: AjvIssue[], context: string): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    let detail: ErrorDetail;
    if (issue.keyword === 'required') {
      detail = { path: joinPath(context, issue.instancePath, issue.params['missingProperty']), message: 'is required' };
    } else if (issue.keyword === 'additionalProperties') {
      detail = { path: joinPath(context, issue.instancePath, issue.params['additionalProperty']), message: 'is not an allowed field' };
    } else {
      detail = { path: joinPath(context, issue.instancePath), message: issue.message ?? 'is invalid' };
    }
    const key = `${detail.path}\u0000${detail.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      details.push(detail);
    }
  }
  return details;
}

const FASTIFY_CODES: Record<string, { status: number; error: string; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, error: 'invalid_json', message: 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, error: 'invalid_json', message: 'The request body is empty but declared as JSON.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, error: 'payload_too_large', message: 'The request body is too large.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    error: 'unsupported_media_type',
    message: 'This content type is not accepted here; send application/json.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, error: 'bad_request', message: 'The body size does not match Content-Length.' },
};

const GENERIC_4XX: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  431: 'headers_too_large',
};

/** The status, body and headers an error is answered with. */
export function errorResponse(err: unknown): { status: number; body: ErrorBody; headers: Record<string, string> } {
  if (err instanceof HttpError) return { status: err.statusCode, body: err.toBody(), headers: err.headers };

  const fastifyError = err as Partial<FastifyError> & { validation?: AjvIssue[]; validationContext?: string };
  if (Array.isArray(fastifyError.validation)) {
    const context = CONTEXT_NAMES[fastifyError.validationContext ?? 'body'] ?? 'body';
    const details = validationDetails(fastifyError.validation, context);
    const where = context === 'body' ? 'request body' : context === 'query' ? 'query string' : `path ${context}`;
    return {
      status: 400,
      body: {
        error: 'validation_failed',
        message: `The ${where} is invalid: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}.`,
        details,
      },
      headers: {},
    };
  }

  const known = typeof fastifyError.code === 'string' ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (known !== undefined) return { status: known.status, body: { error: known.error, message: known.message }, headers: {} };

  const domain = fromDomainError(err);
  if (domain !== undefined) return { status: domain.statusCode, body: domain.toBody(), headers: {} };

  // Other client errors Fastify raises (bad URL encoding, etc.) keep their 4xx status.
  const status = typeof fastifyError.statusCode === 'number' ? fastifyError.statusCode : 500;
  if (status >= 400 && status < 500) {
    return { status, body: { error: GENERIC_4XX[status] ?? 'bad_request', message: 'The request is invalid.' }, headers: {} };
  }
  if (status === 503) {
    return { status, body: { error: 'service_unavailable', message: 'The service is unavailable; try again later.' }, headers: {} };
  }
  return { status: 500, body: { error: 'internal', message: 'Something went wrong on our side; it has been logged.' }, headers: {} };
}

function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const { status, body, headers } = errorResponse(err);
  return reply.code(status).headers(headers).type('application/json; charset=utf-8').send(body);
}

/** Installs the JSON error and not-found handlers on `app` (inherited by every plugin). */
export function installJsonErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status } = errorResponse(err);
    if (status >= 500 && status !== 503) {
      const error = err instanceof Error ? err : new Error(String(err));
      request.log.error({ err: error }, 'request failed');
    } else if (status === 503) {
      request.log.warn({ err: { message: errorText(err) } }, 'dependency unavailable');
    }
    return sendError(reply, err);
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?', 1)[0] ?? '/';
    const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
    return reply
      .code(404)
      .type('application/json; charset=utf-8')
      .send({ error: 'not_found', message: `No route for ${request.method} ${shown}.` } satisfies ErrorBody);
  });
}
