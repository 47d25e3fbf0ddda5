export const VERSION: string;

export interface ClientOptions {
  /** An `imk_live_…` or `imk_test_…` key; falls back to IMAGIOR_API_KEY in Node. */
  apiKey?: string;
  /** The server, e.g. `https://imagior.example.com`; falls back to IMAGIOR_BASE_URL, then the page's origin. */
  baseUrl?: string;
  /** Milliseconds per try (default 60 000). */
  timeout?: number;
  /** Tries after the first on connection errors, timeouts, 408, 429 and 5xx (default 3). */
  maxRetries?: number;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

export interface PostOptions {
  /** Your own Idempotency-Key; one is generated per call otherwise (and reused by its retries). */
  idempotencyKey?: string;
}

export interface WaitOptions {
  /** First poll delay in milliseconds (default 500; grows to 5 s). */
  pollInterval?: number;
  /** Give up after this many milliseconds (default 300 000). */
  waitTimeout?: number;
}

/** A list of `{name, field: value}`, a map `{title: {text}}`, or a flat map `{title: "Hi", "title.color": "#fff"}`. */
export type Modifications =
  | Array<{ name: string; [field: string]: unknown }>
  | Record<string, unknown>;

export type ImageFormat = "png" | "jpeg" | "webp" | "pdf";
export type ImageStatus = "pending" | "rendering" | "completed" | "failed";

export interface Image {
  id: string;
  status: ImageStatus;
  template: string;
  template_version: number;
  format: ImageFormat;
  width: number | null;
  height: number | null;
  file_size: number | null;
  url: string | null;
  sandbox: boolean;
  credits_used: number;
  modifications: Array<{ name: string; [field: string]: unknown }>;
  metadata: Record<string, unknown>;
  callback_url: string | null;
  source_image: string | null;
  batch?: string | null;
  warnings: Array<{ code: string; element?: string; message: string }>;
  error: { code: string; message: string } | null;
  render_ms: number | null;
  created_at: string;
  completed_at: string | null;
  [field: string]: unknown;
}

export interface Template {
  id: string;
  name: string;
  width: number;
  height: number;
  version: number;
  elements: Array<{ name: string; type: string; [field: string]: unknown }>;
  created_at: string;
  updated_at: string;
  [field: string]: unknown;
}

export interface Batch {
  id: string;
  status: "pending" | "rendering" | "completed";
  total: number;
  completed: number;
  failed: number;
  images: Image[];
  created_at: string;
  completed_at: string | null;
  [field: string]: unknown;
}

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  mode: "live" | "test";
  /** Only in the create answer. */
  secret?: string;
  [field: string]: unknown;
}

export interface Font {
  family: string;
  kind: "catalogue" | "account";
  weights: number[];
  italic: boolean;
  [field: string]: unknown;
}

export interface Account {
  email: string;
  plan: { slug: string; name: string; monthly_credits: number; rate_limit_per_minute: number };
  credits: { balance: number; used_this_period: number; period_ends_at: string };
  key: { id: string; name: string; mode: "live" | "test"; prefix: string };
  /** Only for a live key without allowed_domains or other restrictions. */
  secrets: { callback: string; url_signing: string } | null;
  [field: string]: unknown;
}

export interface UsageDay {
  date: string;
  requests: number;
  images: number;
  credits_used: number;
  errors: number;
}

export interface Usage {
  days: UsageDay[];
  totals: Omit<UsageDay, "date">;
}

export class Page<T> {
  count: number;
  count_exact: boolean;
  next: string | null;
  previous: string | null;
  results: T[];
  hasNextPage(): boolean;
  nextPage(): Promise<Page<T> | null>;
}

/** `await` it for the first page; `for await` over it for every item across pages. */
export class PageIterator<T> implements PromiseLike<Page<T>>, AsyncIterable<T> {
  firstPage(): Promise<Page<T>>;
  then<A = Page<T>, B = never>(
    onFulfilled?: ((page: Page<T>) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B>;
  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<Page<T> | B>;
  finally(onFinally?: (() => void) | null): Promise<Page<T>>;
  [Symbol.asyncIterator](): AsyncIterator<T>;
  toArray(): Promise<T[]>;
}

export interface ListParams {
  limit?: number;
  offset?: number;
}

export interface CreateImageParams extends PostOptions, WaitOptions {
  template: string;
  modifications?: Modifications;
  format?: ImageFormat;
  scale?: number;
  quality?: number;
  metadata?: Record<string, unknown>;
  callback_url?: string;
  template_version?: number;
  /** Queue the render and poll until it is completed or failed. */
  wait?: boolean;
  [field: string]: unknown;
}

export interface EditImageParams extends PostOptions {
  modifications?: Modifications;
  format?: ImageFormat;
  scale?: number;
  quality?: number;
  [field: string]: unknown;
}

export interface CreateBatchParams extends PostOptions, WaitOptions {
  template: string;
  items: Array<{ modifications?: Modifications; metadata?: Record<string, unknown>; template?: string }>;
  format?: ImageFormat;
  scale?: number;
  quality?: number;
  callback_url?: string;
  template_version?: number;
  wait?: boolean;
}

declare class Templates {
  list(params?: ListParams & Record<string, unknown>): PageIterator<Template>;
  get(id: string): Promise<Template>;
  create(template: Record<string, unknown>, options?: PostOptions): Promise<Template>;
  update(id: string, changes: Record<string, unknown>, options?: { ifMatch?: string | number }): Promise<Template>;
  replace(id: string, template: Record<string, unknown>, options?: { ifMatch?: string | number }): Promise<Template>;
  delete(id: string): Promise<null>;
  schema(id: string): Promise<Record<string, unknown>>;
  versions(id: string, params?: ListParams): PageIterator<Record<string, unknown>>;
}

declare class Images {
  create(params: CreateImageParams): Promise<Image>;
  wait(id: string, options?: WaitOptions): Promise<Image>;
  get(id: string): Promise<Image>;
  list(params?: ListParams & { template?: string; status?: ImageStatus }): PageIterator<Image>;
  delete(id: string): Promise<null>;
  edit(id: string, params: EditImageParams): Promise<Image>;
  download(image: Image | string): Promise<Uint8Array>;
}

declare class Batches {
  create(params: CreateBatchParams): Promise<Batch>;
  wait(id: string, options?: WaitOptions): Promise<Batch>;
  get(id: string): Promise<Batch>;
  list(params?: ListParams): PageIterator<Batch>;
}

declare class Fonts {
  list(): PageIterator<Font>;
  get(id: string): Promise<Record<string, unknown>>;
  upload(params: {
    file: Blob | Uint8Array | ArrayBuffer;
    family?: string;
    weight?: number;
    italic?: boolean;
    filename?: string;
    idempotencyKey?: string;
  }): Promise<Record<string, unknown>>;
  delete(id: string): Promise<null>;
}

declare class Webhooks {
  list(params?: ListParams): PageIterator<Webhook>;
  create(params: { url: string; events: string[] } & PostOptions): Promise<Webhook>;
  get(id: string): Promise<Webhook>;
  delete(id: string): Promise<null>;
}

export class Imagior {
  constructor(options?: ClientOptions);
  readonly apiKey: string;
  readonly baseUrl: string;
  timeout: number;
  maxRetries: number;
  templates: Templates;
  images: Images;
  batches: Batches;
  fonts: Fonts;
  webhooks: Webhooks;
  account: { get(): Promise<Account> };
  usage: { get(params?: { days?: number }): Promise<Usage> };
  request<T = unknown>(
    method: string,
    path: string,
    options?: {
      query?: Record<string, unknown>;
      body?: unknown;
      form?: FormData;
      headers?: Record<string, string>;
      idempotencyKey?: string;
    },
  ): Promise<T>;
}
export default Imagior;

export interface ImagiorErrorFields {
  status?: number;
  code?: string;
  requestId?: string;
  title?: string;
  detail?: string;
  errors?: Array<{ field: string; code: string; message: string }>;
  body?: unknown;
  headers?: Headers;
  cause?: unknown;
}

export class ImagiorError extends Error {
  constructor(message: string, fields?: ImagiorErrorFields);
  /** The HTTP status; undefined when no answer came. */
  status?: number;
  /** The problem's `code` (`not_found`, `insufficient_credits`, …). */
  code?: string;
  /** The server's request id (`req_…`), for support. */
  requestId?: string;
  title?: string;
  detail?: string;
  errors: Array<{ field: string; code: string; message: string }>;
  body?: unknown;
  headers?: Headers;
}
export class AuthenticationError extends ImagiorError {}
export class InsufficientCreditsError extends ImagiorError {}
export class PermissionDeniedError extends ImagiorError {}
export class NotFoundError extends ImagiorError {}
export class ValidationError extends ImagiorError {}
export class ConflictError extends ImagiorError {}
export class RateLimitError extends ImagiorError {
  /** Seconds the server asked to wait. */
  retryAfter?: number;
}
export class ServerError extends ImagiorError {}
export class APIConnectionError extends ImagiorError {}
export class APITimeoutError extends APIConnectionError {}
export class WebhookVerificationError extends ImagiorError {}

export interface WebhookEvent<T = unknown> {
  type: string;
  created_at: string;
  data: T;
}

/** Check a Standard Webhooks signature (webhook-id, webhook-timestamp, webhook-signature) and parse the body. */
export function verifyWebhook<T = Image>(
  body: string | Uint8Array | ArrayBuffer,
  headers: Headers | Record<string, string | string[] | undefined>,
  secret: string,
  options?: { tolerance?: number; now?: number },
): Promise<WebhookEvent<T>>;

/** A signed `/i/{template}.{ext}?…&sig=…` image URL; keep the `uss_…` secret on your server. */
export function signedUrl(
  baseUrl: string,
  templateId: string,
  modifications: Modifications,
  secret: string,
  ext?: "png" | "jpeg" | "webp",
): Promise<string>;
