/** WebCrypto in browsers and in every Node >= 18 (Node 18 has it only as node:crypto's webcrypto). */
let webcrypto;

export async function getCrypto() {
  if (webcrypto) return webcrypto;
  if (globalThis.crypto?.subtle) {
    webcrypto = globalThis.crypto;
  } else {
    // Hidden from bundlers: only Node 18 ever gets here.
    const name = "node:crypto";
    webcrypto = (await import(/* webpackIgnore: true */ /* @vite-ignore */ name)).webcrypto;
  }
  return webcrypto;
}

const encoder = new TextEncoder();

export function utf8(text) {
  return encoder.encode(text);
}

export async function hmacKey(keyBytes, usage) {
  const crypto = await getCrypto();
  return crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

export async function hmacSha256(keyBytes, data) {
  const crypto = await getCrypto();
  const key = await hmacKey(keyBytes, "sign");
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, data));
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A fresh random Idempotency-Key (getRandomValues works outside secure contexts too). */
export async function randomKey() {
  const crypto = await getCrypto();
  return `imagior-js-${toHex(crypto.getRandomValues(new Uint8Array(16)))}`;
}
