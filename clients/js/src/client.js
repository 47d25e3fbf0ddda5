import { APIConnectionError, APITimeoutError, ImagiorError, errorFromResponse } from "./errors.js";
import { randomKey } from "./crypto.js";

export const VERSION = "0.1.0";

const RETRY_STATUSES = new Set([408, 429]);
const MAX_RETRY_AFTER = 60; // seconds: a longer Retry-After is not waited for, the error is thrown
const FINISHED = new Set(["completed", "failed"]);

function env(name) {
  return typeof process !== "undefined" && process.env ? process.env[name] : undefined;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Exponential backoff with jitter: about 0.5 s, 1 s, 2 s … capped at 8 s, each between half and all of it. */
export function backoffDelay(attempt, { base = 500, cap = 8000 } = {}) {
  const ceiling = Math.min(cap, base * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Retry-After in milliseconds (seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value, now = Date.now()) {
  if (value === null || value === undefined || value === "") return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function compactQuery(query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null) params.append(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function readBody(response) {
  if (response.status === 204 || response.status === 304) return null;
  const text = await response.text();
  if (!text) return null;
  const type = response.headers.get("content-type") ?? "";
  if (type.includes("json")) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** One page of a list: the API's {count, count_exact, next, previous, results}. */
export class Page {
  constructor(client, data) {
    Object.defineProperty(this, "_client", { value: client });
    this.count = data.count;
    this.count_exact = data.count_exact;
    this.next = data.next ?? null;
    this.previous = data.previous ?? null;
    this.results = data.results ?? [];
  }

  hasNextPage() {
    return Boolean(this.next);
  }

  /** The following page, or null on the last one. */
  async nextPage() {
    if (!this.next) return null;
    return new Page(this._client, await this._client.request("GET", this._client.pathOf(this.next)));
  }
}

/**
 * What a list method returns: `await` it for the first page, or iterate it with
 * `for await (const item of …)` to walk every item across pages.
 */
export class PageIterator {
  constructor(client, path, query) {
    this._client = client;
    this._path = path;
    this._query = query;
  }

  firstPage() {
    return this._client.request("GET", this._path, { query: this._query }).then((data) => new Page(this._client, data));
  }

  then(onFulfilled, onRejected) {
    return this.firstPage().then(onFulfilled, onRejected);
  }

  catch(onRejected) {
    return this.firstPage().catch(onRejected);
  }

  finally(onFinally) {
    return this.firstPage().finally(onFinally);
  }

  async *[Symbol.asyncIterator]() {
    let page = await this.firstPage();
    while (page) {
      yield* page.results;
      page = await page.nextPage();
    }
  }

  /** Every item of every page in one array. */
  async toArray() {
    const items = [];
    for await (const item of this) items.push(item);
    return items;
  }
}

class Resource {
  constructor(client) {
    this._client = client;
  }
}

class Templates extends Resource {
  list({ limit, offset, ...query } = {}) {
    return new PageIterator(this._client, "/api/v1/templates", { limit, offset, ...query });
  }

  get(id) {
    return this._client.request("GET", `/api/v1/templates/${encodeURIComponent(id)}`);
  }

  create(template, { idempotencyKey } = {}) {
    return this._client.request("POST", "/api/v1/templates", { body: template, idempotencyKey });
  }

  /** A partial change (PATCH). Pass `ifMatch` (a version or ETag) to refuse it if someone saved in between. */
  update(id, changes, { ifMatch } = {}) {
    return this._client.request("PATCH", `/api/v1/templates/${encodeURIComponent(id)}`, {
      body: changes,
      headers: ifMatch === undefined ? undefined : { "If-Match": String(ifMatch) },
    });
  }

  /** A whole replacement (PUT). */
  replace(id, template, { ifMatch } = {}) {
    return this._client.request("PUT", `/api/v1/templates/${encodeURIComponent(id)}`, {
      body: template,
      headers: ifMatch === undefined ? undefined : { "If-Match": String(ifMatch) },
    });
  }

  delete(id) {
    return this._client.request("DELETE", `/api/v1/templates/${encodeURIComponent(id)}`);
  }

  /** The JSON Schema of the modifications this template accepts. */
  schema(id) {
    return this._client.request("GET", `/api/v1/templates/${encodeURIComponent(id)}/schema`);
  }

  /** Every saved version of a template. */
  versions(id, { limit, offset } = {}) {
    return new PageIterator(this._client, `/api/v1/templates/${encodeURIComponent(id)}/versions`, { limit, offset });
  }
}

async function waitUntilFinished(fetchOne, { pollInterval = 500, waitTimeout = 300_000 } = {}) {
  const deadline = Date.now() + waitTimeout;
  let delay = pollInterval;
  for (;;) {
    const item = await fetchOne();
    if (FINISHED.has(item.status)) return item;
    if (Date.now() + delay > deadline) {
      throw new ImagiorError(`Still ${item.status} after ${waitTimeout / 1000} s.`, { code: "wait_timeout" });
    }
    await sleep(delay);
    delay = Math.min(delay * 1.5, 5000);
  }
}

class Images extends Resource {
  /**
   * Render an image. Without `wait` the server renders synchronously (201, finished).
   * With `wait: true` it is queued (`async`) and polled until it is completed or failed.
   */
  async create({ wait = false, idempotencyKey, pollInterval, waitTimeout, ...params } = {}) {
    if (!params.template) throw new TypeError("images.create needs a template id.");
    const body = wait ? { ...params, async: true } : params;
    const image = await this._client.request("POST", "/api/v1/images", { body, idempotencyKey });
    if (!wait || FINISHED.has(image.status)) return image;
    return this.wait(image.id, { pollInterval, waitTimeout });
  }

  /** Poll an image until it is completed or failed. */
  wait(id, options) {
    return waitUntilFinished(() => this.get(id), options);
  }

  get(id) {
    return this._client.request("GET", `/api/v1/images/${encodeURIComponent(id)}`);
  }

  /** Newest first; filters `template` and `status`. */
  list({ limit, offset, template, status, ...query } = {}) {
    return new PageIterator(this._client, "/api/v1/images", { limit, offset, template, status, ...query });
  }

  delete(id) {
    return this._client.request("DELETE", `/api/v1/images/${encodeURIComponent(id)}`);
  }

  /** A new image from the same template with these modifications merged over the original's. */
  edit(id, { idempotencyKey, ...params } = {}) {
    return this._client.request("POST", `/api/v1/images/${encodeURIComponent(id)}/edit`, {
      body: params,
      idempotencyKey,
    });
  }

  /** The rendered file's bytes (from the image's public `url`). */
  async download(imageOrId) {
    const image = typeof imageOrId === "string" ? await this.get(imageOrId) : imageOrId;
    if (!image.url) throw new ImagiorError(`Image ${image.id} has no file (status ${image.status}).`);
    return new Uint8Array(await this._client.request("GET", image.url, { raw: true, auth: false }));
  }
}

class Batches extends Resource {
  /** Queue 1–100 renders at once (202). With `wait: true`, poll until every item has ended. */
  async create({ wait = false, idempotencyKey, pollInterval, waitTimeout, ...params } = {}) {
    const batch = await this._client.request("POST", "/api/v1/batches", { body: params, idempotencyKey });
    if (!wait || batch.status === "completed") return batch;
    return this.wait(batch.id, { pollInterval, waitTimeout });
  }

  wait(id, options) {
    return waitUntilFinished(() => this.get(id), options);
  }

  get(id) {
    return this._client.request("GET", `/api/v1/batches/${encodeURIComponent(id)}`);
  }

  list({ limit, offset, ...query } = {}) {
    return new PageIterator(this._client, "/api/v1/batches", { limit, offset, ...query });
  }
}

class Fonts extends Resource {
  /** The shipped catalogue and the account's uploads (one page). */
  list() {
    return new PageIterator(this._client, "/api/v1/fonts", {});
  }

  get(id) {
    return this._client.request("GET", `/api/v1/fonts/${encodeURIComponent(id)}`);
  }

  /** Upload a TTF/OTF/WOFF font: `file` is a Blob, File, Uint8Array or ArrayBuffer. */
  upload({ file, family, weight, italic, filename = "font.ttf", idempotencyKey } = {}) {
    const form = new FormData();
    const blob = file instanceof Blob ? file : new Blob([file]);
    form.append("file", blob, typeof File !== "undefined" && file instanceof File ? file.name : filename);
    if (family !== undefined) form.append("family", family);
    if (weight !== undefined) form.append("weight", String(weight));
    if (italic !== undefined) form.append("italic", italic ? "true" : "false");
    return this._client.request("POST", "/api/v1/fonts", { form, idempotencyKey });
  }

  delete(id) {
    return this._client.request("DELETE", `/api/v1/fonts/${encodeURIComponent(id)}`);
  }
}

class Webhooks extends Resource {
  list({ limit, offset } = {}) {
    return new PageIterator(this._client, "/api/v1/webhooks", { limit, offset });
  }

  /** Subscribe `url` to `events`; the answer shows the signing `secret` (whsec_…) this once. */
  create({ url, events, idempotencyKey, ...rest } = {}) {
    return this._client.request("POST", "/api/v1/webhooks", { body: { url, events, ...rest }, idempotencyKey });
  }

  get(id) {
    return this._client.request("GET", `/api/v1/webhooks/${encodeURIComponent(id)}`);
  }

  delete(id) {
    return this._client.request("DELETE", `/api/v1/webhooks/${encodeURIComponent(id)}`);
  }
}

class Account extends Resource {
  get() {
    return this._client.request("GET", "/api/v1/account");
  }
}

class Usage extends Resource {
  get({ days } = {}) {
    return this._client.request("GET", "/api/v1/usage", { query: { days } });
  }
}

export class Imagior {
  /**
   * @param {object} [options]
   * @param {string} [options.apiKey] falls back to IMAGIOR_API_KEY in Node
   * @param {string} [options.baseUrl] falls back to IMAGIOR_BASE_URL in Node, then the page's origin in a browser
   * @param {number} [options.timeout] milliseconds per try (60 000)
   * @param {number} [options.maxRetries] tries after the first (3)
   * @param {typeof fetch} [options.fetch] a fetch to use instead of the global one
   */
  constructor({ apiKey, baseUrl, timeout = 60_000, maxRetries = 3, fetch: fetchImpl } = {}) {
    this.apiKey = apiKey ?? env("IMAGIOR_API_KEY");
    if (!this.apiKey) throw new ImagiorError("No API key: pass apiKey or set IMAGIOR_API_KEY.");
    const base = baseUrl ?? env("IMAGIOR_BASE_URL") ?? globalThis.location?.origin;
    if (!base) throw new ImagiorError("No base URL: pass baseUrl or set IMAGIOR_BASE_URL.");
    this.baseUrl = String(base).replace(/\/+$/, "");
    this.timeout = timeout;
    this.maxRetries = maxRetries;
    this._fetch = fetchImpl ?? globalThis.fetch?.bind(globalThis);
    if (!this._fetch) throw new ImagiorError("No fetch: use Node 18 or later, or pass options.fetch.");
    this.templates = new Templates(this);
    this.images = new Images(this);
    this.batches = new Batches(this);
    this.fonts = new Fonts(this);
    this.webhooks = new Webhooks(this);
    this.account = new Account(this);
    this.usage = new Usage(this);
  }

  /** A `next`/`previous` URL as a path on this client's base URL (whatever host the server named). */
  pathOf(url) {
    const parsed = new URL(url, this.baseUrl);
    const prefix = new URL(this.baseUrl).pathname.replace(/\/+$/, "");
    const path = parsed.pathname.startsWith(`${prefix}/`) ? parsed.pathname.slice(prefix.length) : parsed.pathname;
    return path + parsed.search;
  }

  /**
   * One logical API call: retried on connection errors, timeouts, 408, 429 and
   * 5xx with backoff; a POST keeps one Idempotency-Key across its tries, so the
   * server does the work (and charges) once.
   */
  async request(method, path, { query, body, form, headers, idempotencyKey, raw = false, auth = true } = {}) {
    const url = /^https?:\/\//.test(path) ? path : `${this.baseUrl}${path}${compactQuery(query)}`;
    const sent = { Accept: raw ? "*/*" : "application/json", ...headers };
    if (auth) sent.Authorization = `Bearer ${this.apiKey}`;
    let payload;
    if (form !== undefined) {
      payload = form;
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      sent["Content-Type"] = "application/json";
    }
    if (method === "POST") sent["Idempotency-Key"] = idempotencyKey ?? (await randomKey());

    for (let attempt = 0; ; attempt++) {
      const retriesLeft = attempt < this.maxRetries;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.timeout);
      let response;
      let data;
      try {
        response = await this._fetch(url, { method, headers: sent, body: payload, signal: controller.signal });
        data = raw && response.ok ? await response.arrayBuffer() : await readBody(response);
      } catch (error) {
        const timedOut = controller.signal.aborted;
        if (retriesLeft) {
          await sleep(backoffDelay(attempt));
          continue;
        }
        const ErrorClass = timedOut ? APITimeoutError : APIConnectionError;
        const message = timedOut
          ? `No answer from ${method} ${path} within ${this.timeout} ms (${attempt + 1} tries).`
          : `Could not reach ${method} ${path} (${attempt + 1} tries): ${error?.cause?.code ?? error?.message ?? error}`;
        throw new ErrorClass(message, { code: timedOut ? "timeout" : "connection_error", cause: error });
      } finally {
        clearTimeout(timer);
      }
      if (response.ok) return data;
      const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
      const retryable = RETRY_STATUSES.has(response.status) || response.status >= 500;
      if (retryable && retriesLeft && (retryAfter === undefined || retryAfter <= MAX_RETRY_AFTER * 1000)) {
        await sleep(retryAfter ?? backoffDelay(attempt));
        continue;
      }
      throw errorFromResponse(response, data, retryAfter === undefined ? undefined : retryAfter / 1000);
    }
  }
}
