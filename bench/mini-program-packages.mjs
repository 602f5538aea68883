// Real-looking mini program packages, made from a seed (the same bytes on every run): JavaScript and CSS pages
// deflated per entry, as mini program toolchains zip them, and images stored (they are compressed already). Used by
// the patch benchmark (bench/patches.mjs) and by the tests that rebuild packages from patches.
import yazl from 'yazl';

/** A small, fast PRNG (mulberry32): the same seed gives the same package. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'const',
  'let',
  'return',
  'function',
  'this.setData',
  'wx.request',
  'my.navigateTo',
  'Page',
  'Component',
  'data',
  'onLoad',
  'onShow',
  'items',
  'index',
  'price',
  'user',
  'order',
  'cart',
  'await',
  'if',
  'else',
  'map',
  'filter',
  'length',
  'true',
  'false',
  'null',
  'url',
  'title',
  'options',
  'detail',
  'value',
  'id',
  'name',
  'list',
  'total',
];
const CSS = ['display:flex', 'margin:8rpx', 'padding:16rpx', 'color:#333', 'font-size:28rpx', 'border-radius:8rpx', 'width:100%'];

function code(rand, lines) {
  const out = [];
  for (let i = 0; i < lines; i++) {
    const n = 4 + Math.floor(rand() * 8);
    const words = [];
    for (let j = 0; j < n; j++) words.push(WORDS[Math.floor(rand() * WORDS.length)]);
    out.push(`  ${words.join(' ')}(${Math.floor(rand() * 1000)});`);
  }
  return out.join('\n');
}

function css(rand, rules) {
  const out = [];
  for (let i = 0; i < rules; i++) {
    const props = [];
    for (let j = 0; j < 3; j++) props.push(CSS[Math.floor(rand() * CSS.length)]);
    out.push(`.c${i}-${Math.floor(rand() * 100)}{${props.join(';')}}`);
  }
  return out.join('\n');
}

function image(rand, size) {
  const b = Buffer.alloc(Math.ceil(size / 4) * 4);
  for (let i = 0; i < b.length; i += 4) b.writeUInt32LE(Math.floor(rand() * 4294967296), i);
  b.write('\x89PNG\r\n\x1a\n', 0, 'latin1');
  return b.subarray(0, size);
}

/**
 * The files of a package of about `bytes` bytes once zipped (default 2 MB): about 30 % JavaScript and CSS pages (which
 * deflate to a third), the rest images.
 * @returns {Map<string, Buffer>} file name → content, in zip order
 */
export function packageFiles(seed = 1, bytes = 2_000_000) {
  const rand = prng(seed);
  const files = new Map();
  files.set('app.json', Buffer.from(JSON.stringify({ pages: ['pages/index/index'], window: { navigationBarTitleText: 'Shop' } })));
  files.set('app.js', Buffer.from(`App({\n${code(rand, 40)}\n});\n`));
  const pages = Math.max(4, Math.round(bytes / 100_000));
  const jsLines = Math.round((bytes * 0.3 * 3) / pages / 70);
  for (let p = 0; p < pages; p++) {
    files.set(`pages/p${p}/index.js`, Buffer.from(`Page({\n${code(rand, jsLines)}\n});\n`));
    files.set(`pages/p${p}/index.acss`, Buffer.from(css(rand, 40)));
  }
  const images = Math.max(4, Math.round(bytes / 70_000));
  for (let i = 0; i < images; i++) files.set(`images/i${i}.png`, image(rand, Math.round((bytes * 0.7) / images)));
  return files;
}

/** Zips files the way mini program toolchains do: each entry deflated on its own, images stored, a fixed time. */
export function zipFiles(files, { level = 6 } = {}) {
  const zip = new yazl.ZipFile();
  const mtime = new Date('2026-01-01T00:00:00Z');
  for (const [name, content] of files) {
    const stored = name.endsWith('.png');
    zip.addBuffer(content, name, { mtime, compressionLevel: stored ? 0 : level });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks = [];
    zip.outputStream.on('data', (c) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

/**
 * The kinds of new version measured and tested, each from the same old version:
 * - `one-file-changed`: a few lines of one page's JavaScript differ;
 * - `file-added`: a new page (JavaScript and CSS) and a new image;
 * - `assets-recompressed`: every image re-encoded (new bytes, same sizes) and the code deflated at another level.
 * @returns {Promise<{ from: Buffer, to: Buffer }>}
 */
export async function packagePair(kind, seed = 1, bytes = 2_000_000) {
  const files = packageFiles(seed, bytes);
  const from = await zipFiles(files);
  const next = new Map(files);
  const rand = prng(seed + 1000);
  if (kind === 'one-file-changed') {
    const name = 'pages/p1/index.js';
    const lines = next.get(name).toString('utf8').split('\n');
    for (let i = 5; i < lines.length; i += Math.floor(lines.length / 4)) lines[i] = `  this.setData({ changed: ${i} });`;
    next.set(name, Buffer.from(lines.join('\n')));
    return { from, to: await zipFiles(next) };
  }
  if (kind === 'file-added') {
    next.set('pages/added/index.js', Buffer.from(`Page({\n${code(rand, 300)}\n});\n`));
    next.set('pages/added/index.acss', Buffer.from(css(rand, 40)));
    next.set('images/added.png', image(rand, 30_000));
    return { from, to: await zipFiles(next) };
  }
  if (kind === 'assets-recompressed') {
    for (const [name, content] of next) if (name.endsWith('.png')) next.set(name, image(rand, content.length));
    return { from, to: await zipFiles(next, { level: 9 }) };
  }
  throw new Error(`unknown kind ${kind}`);
}

export const PAIR_KINDS = ['one-file-changed', 'file-added', 'assets-recompressed'];
