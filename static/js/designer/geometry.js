// Pure geometry for moving, resizing and rotating boxes that rotate about their centre.

const RAD = Math.PI / 180;

export const HANDLES = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];

/** The box after dragging `handle` by (dx, dy) canvas pixels; the opposite side stays put. */
export function resizeBox(box, handle, dx, dy, { keepRatio = false } = {}) {
  const angle = (box.rotation || 0) * RAD;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  // The pointer's movement in the element's own (unrotated) frame.
  const lx = dx * cos + dy * sin;
  const ly = -dx * sin + dy * cos;
  let left = -box.width / 2;
  let right = box.width / 2;
  let top = -box.height / 2;
  let bottom = box.height / 2;
  if (handle.includes("e")) right += lx;
  if (handle.includes("w")) left += lx;
  if (handle.includes("s")) bottom += ly;
  if (handle.includes("n")) top += ly;
  if (right - left < 1) {
    if (handle.includes("w")) left = right - 1;
    else right = left + 1;
  }
  if (bottom - top < 1) {
    if (handle.includes("n")) top = bottom - 1;
    else bottom = top + 1;
  }
  if (keepRatio && handle.length === 2 && box.width > 0 && box.height > 0) {
    const ratio = box.width / box.height;
    const width = right - left;
    const height = bottom - top;
    if (width / height > ratio) {
      const target = height * ratio;
      if (handle.includes("w")) left = right - target;
      else right = left + target;
    } else {
      const target = width / ratio;
      if (handle.includes("n")) top = bottom - target;
      else bottom = top + target;
    }
  }
  const width = right - left;
  const height = bottom - top;
  // The new centre, from the element's frame back to the canvas.
  const ox = (left + right) / 2;
  const oy = (top + bottom) / 2;
  const cx = box.x + box.width / 2 + ox * cos - oy * sin;
  const cy = box.y + box.height / 2 + ox * sin + oy * cos;
  return {
    x: Math.round(cx - width / 2),
    y: Math.round(cy - height / 2),
    width: Math.round(width),
    height: Math.round(height),
  };
}

/** The rotation (degrees, -180..180) that points the box's top at (px, py). */
export function rotationTowards(box, px, py, { snap = false } = {}) {
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  let degrees = Math.atan2(py - cy, px - cx) / RAD + 90;
  if (snap) degrees = Math.round(degrees / 15) * 15;
  degrees = ((((degrees + 180) % 360) + 360) % 360) - 180;
  return Math.round(degrees * 10) / 10;
}

/** The cursor for a handle, turned with the element so it points the way the edge moves. */
export function handleCursor(handle, rotation) {
  const cursors = ["ns-resize", "nesw-resize", "ew-resize", "nwse-resize"];
  const base = { n: 0, ne: 1, e: 2, se: 3, s: 0, sw: 1, w: 2, nw: 3 }[handle];
  const steps = Math.round((((rotation || 0) % 180) + 180) / 45);
  return cursors[(base + steps) % 4];
}
