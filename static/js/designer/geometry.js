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

// --- several elements: bounds, alignment, distribution, snapping -------------------------

/** The axis-aligned bounds of a (possibly rotated) element on the canvas. */
export function bounds(element) {
  const angle = (element.rotation || 0) * RAD;
  const cos = Math.abs(Math.cos(angle));
  const sin = Math.abs(Math.sin(angle));
  const width = element.width * cos + element.height * sin;
  const height = element.width * sin + element.height * cos;
  const cx = element.x + element.width / 2;
  const cy = element.y + element.height / 2;
  return { left: cx - width / 2, top: cy - height / 2, right: cx + width / 2, bottom: cy + height / 2 };
}

/** The bounds around several elements. */
export function unionBounds(elements) {
  const all = elements.map(bounds);
  return {
    left: Math.min(...all.map((b) => b.left)),
    top: Math.min(...all.map((b) => b.top)),
    right: Math.max(...all.map((b) => b.right)),
    bottom: Math.max(...all.map((b) => b.bottom)),
  };
}

const AXES = {
  x: { start: "left", end: "right", key: "x" },
  y: { start: "top", end: "bottom", key: "y" },
};
const ALIGNMENTS = {
  left: ["x", 0],
  center: ["x", 0.5],
  right: ["x", 1],
  top: ["y", 0],
  middle: ["y", 0.5],
  bottom: ["y", 1],
};

/** New positions (uid → {x} or {y}) lining `elements` up on one side or the middle of `area`. */
export function alignTo(elements, mode, area) {
  const [axisName, fraction] = ALIGNMENTS[mode];
  const axis = AXES[axisName];
  const target = area[axis.start] + (area[axis.end] - area[axis.start]) * fraction;
  const moves = new Map();
  for (const element of elements) {
    const box = bounds(element);
    const at = box[axis.start] + (box[axis.end] - box[axis.start]) * fraction;
    moves.set(element.uid, { [axis.key]: Math.round(element[axis.key] + target - at) });
  }
  return moves;
}

/**
 * New positions spacing `elements` evenly along an axis ("x" or "y"). With `inside` the first and
 * last stay where they are and the gaps between them become equal; otherwise (to the canvas) the
 * gaps before, between and after them are equal, which centres a single element.
 */
export function distribute(elements, axisName, area, { inside }) {
  const axis = AXES[axisName];
  const boxes = elements
    .map((element) => ({ element, box: bounds(element) }))
    .sort((a, b) => a.box[axis.start] - b.box[axis.start]);
  const sizes = boxes.map(({ box }) => box[axis.end] - box[axis.start]);
  const room = area[axis.end] - area[axis.start] - sizes.reduce((sum, size) => sum + size, 0);
  const gap = inside ? room / (boxes.length - 1) : room / (boxes.length + 1);
  let at = area[axis.start] + (inside ? 0 : gap);
  const moves = new Map();
  boxes.forEach(({ element, box }, index) => {
    moves.set(element.uid, { [axis.key]: Math.round(element[axis.key] + at - box[axis.start]) });
    at += sizes[index] + gap;
  });
  return moves;
}

/**
 * Snap a box being moved by (dx, dy): its edges and centre go to the nearest of `targets`
 * ({x: [...], y: [...]}) within `reach`. Returns the offset to use and the guides to draw.
 */
export function snapOffset(box, dx, dy, targets, reach) {
  const pick = (start, end, delta, lines) => {
    let best = null;
    for (const edge of [start + delta, (start + end) / 2 + delta, end + delta]) {
      for (const line of lines) {
        const distance = line - edge;
        if (Math.abs(distance) <= reach && (!best || Math.abs(distance) < Math.abs(best.distance))) {
          best = { distance, line };
        }
      }
    }
    return best;
  };
  const x = pick(box.left, box.right, dx, targets.x);
  const y = pick(box.top, box.bottom, dy, targets.y);
  const guides = [];
  if (x) guides.push({ axis: "x", at: x.line });
  if (y) guides.push({ axis: "y", at: y.line });
  return { dx: Math.round(dx + (x ? x.distance : 0)), dy: Math.round(dy + (y ? y.distance : 0)), guides };
}
