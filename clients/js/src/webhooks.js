import { WebhookVerificationError } from "./errors.js";
import { fromBase64, getCrypto, hmacKey, utf8 } from "./crypto.js";

const decoder = new TextDecoder();

function header(headers, name) {
  if (!headers) return undefined;
  if (typeof headers.get === "function") return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

function bodyText(body) {
  if (typeof body === "string") return body;
  if (body instanceof ArrayBuffer) return decoder.decode(new Uint8Array(body));
  if (ArrayBuffer.isView(body)) return decoder.decode(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
  throw new TypeError("verifyWebhook needs the raw body as a string, Uint8Array or ArrayBuffer (not parsed JSON).");
}

/**
 * Check a delivery's Standard Webhooks signature and return its parsed body.
 * Throws WebhookVerificationError when the headers are missing, the timestamp is
 * further than `tolerance` seconds from now, or no signature matches.
 */
export async function verifyWebhook(body, headers, secret, { tolerance = 300, now } = {}) {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError("The webhook-id, webhook-timestamp or webhook-signature header is missing.");
  }
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError("The webhook-timestamp header is not a number.");
  const current = Math.floor((now ?? Date.now()) / 1000);
  if (Math.abs(current - Number(timestamp)) > tolerance) {
    throw new WebhookVerificationError("The webhook's timestamp is too far from now (a replay, or a wrong clock).");
  }
  if (typeof secret !== "string" || !secret) throw new WebhookVerificationError("No webhook secret was given.");
  let keyBytes;
  try {
    keyBytes = fromBase64(secret.startsWith("whsec_") ? secret.slice(6) : secret);
  } catch {
    throw new WebhookVerificationError("The webhook secret is not a whsec_… secret.");
  }
  const text = bodyText(body);
  const crypto = await getCrypto();
  const key = await hmacKey(keyBytes, "verify");
  const signed = utf8(`${id}.${timestamp}.${text}`);
  for (const entry of signatures.split(" ")) {
    const [version, signature] = entry.split(",", 2);
    if (version !== "v1" || !signature) continue;
    let expected;
    try {
      expected = fromBase64(signature);
    } catch {
      continue;
    }
    // subtle.verify compares in constant time.
    if (await crypto.subtle.verify("HMAC", key, expected, signed)) {
      try {
        return JSON.parse(text);
      } catch {
        throw new WebhookVerificationError("The webhook's body is not JSON.");
      }
    }
  }
  throw new WebhookVerificationError("No webhook signature matches this body and secret.");
}
