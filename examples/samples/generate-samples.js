// One-off generator for the sample images served at /samples/. Run from the repository root:
//   node functions/image-processor/samples/generate-samples.js
// Everything is drawn from code (no randomness without a seed), so rerunning gives the same pictures.
'use strict';
const path = require('node:path');
const sharp = require('sharp');

const out = (name) => path.join(__dirname, name);

// A landscape: sky gradient, sun, two mountain ranges and a lake. SVG keeps the drawing readable.
const landscapeSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="800">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#1d3b6e"/><stop offset="0.6" stop-color="#f2a65a"/><stop offset="1" stop-color="#f7d08a"/>
    </linearGradient>
    <linearGradient id="lake" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#3a6e8f"/><stop offset="1" stop-color="#0f2a3d"/>
    </linearGradient>
    <radialGradient id="sun"><stop offset="0" stop-color="#fff6d5"/><stop offset="1" stop-color="#ffb347"/></radialGradient>
  </defs>
  <rect width="1200" height="800" fill="url(#sky)"/>
  <circle cx="840" cy="420" r="90" fill="url(#sun)"/>
  <path d="M0 560 L140 380 L260 470 L420 300 L560 460 L700 350 L860 500 L1000 330 L1200 520 L1200 800 L0 800 Z" fill="#4b3b5c"/>
  <path d="M0 620 L180 500 L330 580 L500 470 L680 600 L850 520 L1040 610 L1200 560 L1200 800 L0 800 Z" fill="#2d2a3e"/>
  <rect y="640" width="1200" height="160" fill="url(#lake)"/>
  ${Array.from({ length: 12 }, (_, i) => `<rect x="${80 + i * 90}" y="${660 + (i % 4) * 30}" width="${40 + (i % 3) * 20}" height="3" fill="#9cc3d9" opacity="0.6"/>`).join('')}
</svg>`;

// A logo with real transparency: a ring and a wave-like "S" on a transparent background.
const logoSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256">
  <circle cx="128" cy="128" r="110" fill="none" stroke="#2b7de9" stroke-width="18"/>
  <circle cx="128" cy="128" r="86" fill="#2b7de9" fill-opacity="0.35"/>
  <path d="M170 82 C 120 60, 80 90, 110 122 C 140 150, 150 180, 86 178" fill="none" stroke="#0b3d91" stroke-width="20" stroke-linecap="round"/>
</svg>`;

// A "photo": smooth colour fields plus deterministic grain, which is what lossy codecs are tuned for.
function photoPixels(width, height) {
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 42;
  const random = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 4294967296;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      const blob = Math.exp(-((u - 0.35) ** 2 + (v - 0.45) ** 2) * 18);
      const grain = (random() - 0.5) * 18;
      const i = (y * width + x) * 3;
      pixels[i] = Math.max(0, Math.min(255, 60 + 150 * blob + 40 * u + grain));
      pixels[i + 1] = Math.max(0, Math.min(255, 90 + 90 * Math.sin(v * Math.PI) + 30 * blob + grain));
      pixels[i + 2] = Math.max(0, Math.min(255, 140 - 80 * blob + 60 * v + grain));
    }
  }
  return pixels;
}

async function main() {
  await sharp(Buffer.from(landscapeSvg)).jpeg({ quality: 82 }).toFile(out('landscape.jpg'));
  await sharp(Buffer.from(logoSvg)).png({ compressionLevel: 9 }).toFile(out('logo.png'));
  await sharp(photoPixels(640, 480), { raw: { width: 640, height: 480, channels: 3 } })
    .webp({ quality: 75 })
    .toFile(out('photo.webp'));
  for (const name of ['landscape.jpg', 'logo.png', 'photo.webp']) {
    const meta = await sharp(out(name)).metadata();
    console.log(
      `${name}: ${meta.format} ${meta.width}x${meta.height}, alpha=${meta.hasAlpha}, ${require('node:fs').statSync(out(name)).size} bytes`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
