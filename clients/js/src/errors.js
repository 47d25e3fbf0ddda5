/**
 * Every failure the client reports is an ImagiorError. API answers become the
 * subclass for their problem `code` (falling back on the HTTP status), with the
 * problem+json fields on the error.
 */
export class ImagiorError extends Error {
  constructor(message, { status, code, requestId, title, detail, errors, body, headers, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.title = title;
    this.detail = detail;
    this.errors = errors ?? [];
    this.body = body;
    this.headers = headers;
  }
}

/** 401: no key, or an unknown, malformed or revoked one. */
export class AuthenticationError extends ImagiorError {}

/** 403 `insufficient_credits`: nothing was rendered or charged. */
export class InsufficientCreditsError extends ImagiorError {}

/** 403 for the other reasons: a whitelist, a bad signature, an unverified e-mail, a missing scope. */
export class PermissionDeniedError extends ImagiorError {}

/** 404: the object does not exist or belongs to another account. */
export class NotFoundError extends ImagiorError {}

/** 400: the request's input was refused; `errors` lists the fields. */
export class ValidationError extends ImagiorError {}

/** 409 / 412: an idempotency key reused with another body, or a stale If-Match. */
export class ConflictError extends ImagiorError {}

/** 429 after the client's retries ran out; `retryAfter` is in seconds. */
export class RateLimitError extends ImagiorError {
  constructor(message, fields = {}) {
    super(message, fields);
    this.retryAfter = fields.retryAfter;
  }
}

/** 5xx after the client's retries ran out. */
export class ServerError extends ImagiorError {}

/** No answer at all (connection refused or reset, DNS, timeout) after the retries ran out. */
export class APIConnectionError extends ImagiorError {}

/** The request took longer than the client's `timeout` on every try. */
export class APITimeoutError extends APIConnectionError {}

/** verifyWebhook refused a delivery: missing headers, stale timestamp or wrong signature. */
export class WebhookVerificationError extends ImagiorError {}

const BY_CODE = {
  authentication_required: AuthenticationError,
  invalid_api_key: AuthenticationError,
  insufficient_credits: InsufficientCreditsError,
  not_found: NotFoundError,
  validation_error: ValidationError,
  unknown_element: ValidationError,
  invalid_json: ValidationError,
  image_fetch_failed: ValidationError,
  output_too_large: ValidationError,
  idempotency_conflict: ConflictError,
  precondition_failed: ConflictError,
  rate_limited: RateLimitError,
};

function classFor(status, code) {
  if (code && BY_CODE[code]) return BY_CODE[code];
  if (status === 400 || status === 422) return ValidationError;
  if (status === 401) return AuthenticationError;
  if (status === 403) return PermissionDeniedError;
  if (status === 404) return NotFoundError;
  if (status === 409 || status === 412) return ConflictError;
  if (status === 429) return RateLimitError;
  if (status >= 500) return ServerError;
  return ImagiorError;
}

/** The error for an HTTP answer that was not a success. */
export function errorFromResponse(response, body, retryAfter) {
  const problem = body && typeof body === "object" && !Array.isArray(body) ? body : {};
  const status = response.status;
  const code = typeof problem.code === "string" ? problem.code : undefined;
  const requestId = problem.request_id ?? response.headers.get("x-request-id") ?? undefined;
  const title = problem.title;
  const detail = problem.detail;
  let message = [title, detail].filter(Boolean).join(": ");
  if (!message) message = `HTTP ${status}${typeof body === "string" && body ? `: ${body.slice(0, 200)}` : ""}`;
  const ErrorClass = classFor(status, code);
  return new ErrorClass(message, {
    status,
    code,
    requestId,
    title,
    detail,
    errors: Array.isArray(problem.errors) ? problem.errors : [],
    body,
    headers: response.headers,
    retryAfter,
  });
}
