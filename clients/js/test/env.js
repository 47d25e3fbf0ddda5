// What the tests need from the environment: a running server and the demo account's keys.
export const BASE_URL = process.env.IMAGIOR_BASE_URL;
export const LIVE_KEY = process.env.IMAGIOR_API_KEY;
export const TEST_KEY = process.env.IMAGIOR_TEST_KEY;
export const TEMPLATE = process.env.IMAGIOR_TEMPLATE;
export const PROXY_URL = process.env.IMAGIOR_PROXY_URL;

export const skip =
  BASE_URL && LIVE_KEY && TEST_KEY && TEMPLATE
    ? false
    : "needs IMAGIOR_BASE_URL, IMAGIOR_API_KEY, IMAGIOR_TEST_KEY and IMAGIOR_TEMPLATE (a running server)";

/** Width and height from a PNG's IHDR chunk; throws if the bytes are not a PNG. */
export function pngSize(bytes) {
  const signature = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!signature.every((b, i) => bytes[i] === b)) throw new Error("not a PNG");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
