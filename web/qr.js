// QR codes (ISO/IEC 18004), drawn as SVG: for the two-factor set-up link, which an authenticator
// app on a phone reads with its camera. Byte mode (the text as UTF-8), error correction level M,
// the smallest version (1–40) that holds the text, the mask with the lowest penalty score.

const SVG = "http://www.w3.org/2000/svg";

/// Error-correction codewords per block and blocks per version (index 0 unused), level M.
const ECC_PER_BLOCK = [-1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28,
  28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28];
const BLOCKS = [-1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33,
  35, 37, 38, 40, 43, 45, 47, 49];
/// Level M's two bits in the format information.
const LEVEL_BITS = 0;

/// Modules left for data and error correction once the function patterns are drawn.
function rawModules(version) {
  let modules = (16 * version + 128) * version + 64;
  if (version >= 2) {
    const alignments = Math.floor(version / 7) + 2;
    modules -= (25 * alignments - 10) * alignments - 55;
    if (version >= 7) modules -= 36;
  }
  return modules;
}

function dataCodewords(version) {
  return Math.floor(rawModules(version) / 8) - ECC_PER_BLOCK[version] * BLOCKS[version];
}

/// Centres of the alignment patterns along each axis.
function alignmentCentres(version) {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const step = version === 32 ? 26 : Math.ceil((version * 4 + 4) / (count * 2 - 2)) * 2;
  const centres = [6];
  for (let at = version * 4 + 10; centres.length < count; at -= step) centres.splice(1, 0, at);
  return centres;
}

/// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1.
function gfMultiply(x, y) {
  let z = 0;
  for (let bit = 7; bit >= 0; bit--) {
    z = (z << 1) ^ ((z >>> 7) * 0x11d);
    z ^= ((y >>> bit) & 1) * x;
  }
  return z;
}

/// The Reed–Solomon generator polynomial of a degree, highest term (always 1) left out.
function generator(degree) {
  const coefficients = new Array(degree).fill(0);
  coefficients[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < degree; j++) {
      coefficients[j] = gfMultiply(coefficients[j], root);
      if (j + 1 < degree) coefficients[j] ^= coefficients[j + 1];
    }
    root = gfMultiply(root, 2);
  }
  return coefficients;
}

function remainder(data, divisor) {
  const result = new Array(divisor.length).fill(0);
  for (const byte of data) {
    const factor = byte ^ result.shift();
    result.push(0);
    divisor.forEach((coefficient, i) => { result[i] ^= gfMultiply(coefficient, factor); });
  }
  return result;
}

/// The data codewords split into blocks, each followed by its error correction, interleaved.
function withErrorCorrection(data, version) {
  const blockCount = BLOCKS[version];
  const eccLength = ECC_PER_BLOCK[version];
  const total = Math.floor(rawModules(version) / 8);
  const shortBlocks = blockCount - (total % blockCount);
  const shortLength = Math.floor(total / blockCount);
  const divisor = generator(eccLength);
  const blocks = [];
  for (let i = 0, at = 0; i < blockCount; i++) {
    const block = data.slice(at, at + shortLength - eccLength + (i < shortBlocks ? 0 : 1));
    at += block.length;
    const ecc = remainder(block, divisor);
    if (i < shortBlocks) block.push(0); // a place holder, skipped below, so all blocks line up
    blocks.push(block.concat(ecc));
  }
  const result = [];
  for (let i = 0; i < blocks[0].length; i++) {
    blocks.forEach((block, j) => {
      if (i !== shortLength - eccLength || j >= shortBlocks) result.push(block[i]);
    });
  }
  return result;
}

const MASKS = [
  (x, y) => (x + y) % 2 === 0,
  (x, y) => y % 2 === 0,
  (x) => x % 3 === 0,
  (x, y) => (x + y) % 3 === 0,
  (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
  (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
  (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
  (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
];

/// The modules of the QR code for `text`: `{ size, dark(x, y) }`. Throws if the text is too long.
export function qrCode(text) {
  const bytes = [...new TextEncoder().encode(text)];
  let version = 1;
  const countBits = (v) => (v <= 9 ? 8 : 16);
  while (version <= 40 && 4 + countBits(version) + bytes.length * 8 > dataCodewords(version) * 8) version++;
  if (version > 40) throw new Error("Too long for a QR code.");

  // Mode, length, bytes, terminator, padding to whole codewords, then the two pad codewords in turn.
  const bits = [];
  const put = (value, length) => { for (let i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1); };
  put(0b0100, 4);
  put(bytes.length, countBits(version));
  for (const byte of bytes) put(byte, 8);
  const capacity = dataCodewords(version) * 8;
  put(0, Math.min(4, capacity - bits.length));
  put(0, (8 - (bits.length % 8)) % 8);
  for (let pad = 0xec; bits.length < capacity; pad ^= 0xec ^ 0x11) put(pad, 8);
  const data = [];
  for (let i = 0; i < bits.length; i += 8) data.push(bits.slice(i, i + 8).reduce((byte, bit) => (byte << 1) | bit, 0));

  const size = version * 4 + 17;
  const dark = new Array(size * size).fill(false);
  const fixed = new Array(size * size).fill(false);
  const set = (x, y, on) => { dark[y * size + x] = on; fixed[y * size + x] = true; };

  for (let i = 0; i < size; i++) {
    set(6, i, i % 2 === 0);
    set(i, 6, i % 2 === 0);
  }
  for (const [cx, cy] of [[3, 3], [size - 4, 3], [3, size - 4]]) {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const x = cx + dx, y = cy + dy;
        const ring = Math.max(Math.abs(dx), Math.abs(dy));
        if (x >= 0 && x < size && y >= 0 && y < size) set(x, y, ring !== 2 && ring !== 4);
      }
    }
  }
  const centres = alignmentCentres(version);
  const last = centres.length - 1;
  centres.forEach((cx, i) => centres.forEach((cy, j) => {
    if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) return; // the finders' corners
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) set(cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    }
  }));
  if (version >= 7) {
    let rest = version;
    for (let i = 0; i < 12; i++) rest = (rest << 1) ^ ((rest >>> 11) * 0x1f25);
    const info = (version << 12) | rest;
    for (let i = 0; i < 18; i++) {
      const on = ((info >>> i) & 1) === 1;
      const a = size - 11 + (i % 3), b = Math.floor(i / 3);
      set(a, b, on);
      set(b, a, on);
    }
  }
  const drawFormat = (mask) => {
    const value = (LEVEL_BITS << 3) | mask;
    let rest = value;
    for (let i = 0; i < 10; i++) rest = (rest << 1) ^ ((rest >>> 9) * 0x537);
    const info = ((value << 10) | rest) ^ 0x5412;
    const bit = (i) => ((info >>> i) & 1) === 1;
    for (let i = 0; i <= 5; i++) set(8, i, bit(i));
    set(8, 7, bit(6));
    set(8, 8, bit(7));
    set(7, 8, bit(8));
    for (let i = 9; i < 15; i++) set(14 - i, 8, bit(i));
    for (let i = 0; i < 8; i++) set(size - 1 - i, 8, bit(i));
    for (let i = 8; i < 15; i++) set(8, size - 15 + i, bit(i));
    set(8, size - 8, true);
  };
  drawFormat(0); // reserves its modules before the data goes in

  // The codewords, two columns at a time from the right, up then down, around what is fixed.
  const codewords = withErrorCorrection(data, version);
  let next = 0;
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    const upward = ((right + 1) & 2) === 0;
    for (let step = 0; step < size; step++) {
      const y = upward ? size - 1 - step : step;
      for (const x of [right, right - 1]) {
        if (fixed[y * size + x] || next >= codewords.length * 8) continue;
        dark[y * size + x] = ((codewords[next >>> 3] >>> (7 - (next & 7))) & 1) === 1;
        next++;
      }
    }
  }

  const applyMask = (mask) => {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) if (!fixed[y * size + x] && MASKS[mask](x, y)) dark[y * size + x] = !dark[y * size + x];
    }
  };
  let best = 0, lowest = Infinity;
  for (let mask = 0; mask < 8; mask++) {
    applyMask(mask);
    drawFormat(mask);
    const score = penalty(dark, size);
    if (score < lowest) [best, lowest] = [mask, score];
    applyMask(mask);
  }
  applyMask(best);
  drawFormat(best);
  return { size, version, dark: (x, y) => dark[y * size + x] };
}

/// The standard's penalty for a masked symbol: long runs, 2×2 blocks, finder-like patterns, and
/// the share of dark modules away from half.
function penalty(dark, size) {
  let score = 0;
  const at = (x, y) => dark[y * size + x];
  const finderLike = [[1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1]];
  for (const read of [(i, j) => at(j, i), (i, j) => at(i, j)]) { // rows, then columns
    for (let i = 0; i < size; i++) {
      let run = 1;
      for (let j = 1; j <= size; j++) {
        if (j < size && read(i, j) === read(i, j - 1)) run++;
        else {
          if (run >= 5) score += run - 2;
          run = 1;
        }
      }
      for (let j = 0; j + 11 <= size; j++) {
        for (const pattern of finderLike) if (pattern.every((on, k) => read(i, j + k) === (on === 1))) score += 40;
      }
    }
  }
  let darkCount = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (at(x, y)) darkCount++;
      if (x + 1 < size && y + 1 < size && at(x, y) === at(x + 1, y) && at(x, y) === at(x, y + 1) && at(x, y) === at(x + 1, y + 1)) {
        score += 3;
      }
    }
  }
  score += Math.floor(Math.abs((darkCount * 100) / (size * size) - 50) / 5) * 10;
  return score;
}

/// An SVG of the QR code for `text`: dark modules on white with the standard four-module margin,
/// whatever the theme (cameras read dark on light best). `scale` pixels per module.
export function qrSvg(text, { scale = 4, label = "QR code" } = {}) {
  const code = qrCode(text);
  const side = code.size + 8;
  const svg = document.createElementNS(SVG, "svg");
  for (const [name, value] of Object.entries({
    viewBox: `0 0 ${side} ${side}`, width: side * scale, height: side * scale, "shape-rendering": "crispEdges", role: "img",
    "aria-label": label,
  })) svg.setAttribute(name, value);
  const background = document.createElementNS(SVG, "rect");
  for (const [name, value] of Object.entries({ width: side, height: side, fill: "#fff" })) background.setAttribute(name, value);
  let d = "";
  for (let y = 0; y < code.size; y++) {
    for (let x = 0; x < code.size; x++) if (code.dark(x, y)) d += `M${x + 4} ${y + 4}h1v1h-1z`;
  }
  const modules = document.createElementNS(SVG, "path");
  modules.setAttribute("d", d);
  modules.setAttribute("fill", "#000");
  svg.append(background, modules);
  return svg;
}
