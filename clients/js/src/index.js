export { Imagior, Page, PageIterator, VERSION } from "./client.js";
export {
  APIConnectionError,
  APITimeoutError,
  AuthenticationError,
  ConflictError,
  ImagiorError,
  InsufficientCreditsError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  ValidationError,
  WebhookVerificationError,
} from "./errors.js";
export { signedUrl } from "./signed.js";
export { verifyWebhook } from "./webhooks.js";
export { Imagior as default } from "./client.js";
