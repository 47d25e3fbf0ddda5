import { hmacSha256, toHex, utf8 } from "./crypto.js";

const FORMATS = ["png", "jpeg", "webp"];

/** Percent-encoding as Python's urllib.parse.quote(safe=""): %20 for spaces, !'()* escaped too. */
function encode(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function compareCodePoints(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d) return d;
  }
  return x.length - y.length;
}

function isPlainObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Modifications in any of the API's three shapes as flat [name, value] query parameters. */
export function flatParameters(modifications) {
  const params = [];
  const add = (name, value) => {
    if (value === undefined || value === null) return;
    params.push([name, typeof value === "string" ? value : String(value)]);
  };
  if (Array.isArray(modifications)) {
    for (const item of modifications) {
      if (!isPlainObject(item) || typeof item.name !== "string") {
        throw new TypeError("Each modification in a list needs a name.");
      }
      for (const [field, value] of Object.entries(item)) {
        if (field !== "name") add(`${item.name}.${field}`, value);
      }
    }
  } else if (isPlainObject(modifications)) {
    for (const [key, value] of Object.entries(modifications)) {
      if (isPlainObject(value) && !key.includes(".")) {
        for (const [field, inner] of Object.entries(value)) add(`${key}.${field}`, inner);
      } else {
        add(key, value);
      }
    }
  } else if (modifications !== undefined && modifications !== null) {
    throw new TypeError("modifications must be a list or an object.");
  }
  return params;
}

/**
 * A signed `/i/{template}.{ext}?…&sig=…` URL: an image URL for <img> and og:image
 * tags with no key in the page. Resolves to a string (WebCrypto is asynchronous).
 * Keep the URL-signing secret (`uss_…`) on your server.
 */
export async function signedUrl(baseUrl, templateId, modifications, secret, ext = "png") {
  if (!FORMATS.includes(ext)) throw new TypeError(`ext must be one of ${FORMATS.join(", ")}.`);
  if (typeof secret !== "string" || !secret) throw new TypeError("signedUrl needs the URL-signing secret (uss_…).");
  const params = flatParameters(modifications);
  params.sort((a, b) => compareCodePoints(a[0], b[0]) || compareCodePoints(a[1], b[1]));
  const query = params.map(([name, value]) => `${encode(name)}=${encode(value)}`).join("&");
  const path = `/i/${encode(templateId)}.${ext}?${query}`;
  const sig = toHex(await hmacSha256(utf8(secret), utf8(path)));
  return `${String(baseUrl).replace(/\/+$/, "")}${path}&sig=${sig}`;
}
