import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { InvalidPayloadError, PermanentTaskError, TaskCancelledError } from '../../domain/handler-contract';
import { ImageFetchError, handler } from '../../examples/functions/image-processor';
import type { ImageProcessingResult } from '../../examples/functions/image-processor';
import { taskEvent, testContext } from './context';

const SAMPLES = path.join(__dirname, '../../examples/samples');
const sample = (name: string) => readFileSync(path.join(SAMPLES, name));
const dataUrl = (name: string, mime: string) => `data:${mime};base64,${sample(name).toString('base64')}`;

const run = (payload: unknown, ctx = testContext('image-processor')) =>
  handler(taskEvent('image-processing', payload), ctx.context) as Promise<ImageProcessingResult>;

/** Decodes the returned data: URL again, so the test checks the real bytes and not the handler's own report. */
async function decodeOutput(result: ImageProcessingResult) {
  expect(result.image).toBeDefined();
  const match = /^data:image\/(\w+);base64,(.+)$/.exec(result.image ?? '');
  expect(match).not.toBeNull();
  const bytes = Buffer.from(match?.[2] ?? '', 'base64');
  return { mime: match?.[1], bytes, meta: await sharp(bytes).metadata() };
}

describe('image-processor', () => {
  describe.each([
    ['landscape.jpg', 'image/jpeg', 'jpeg', 1200, 800, false],
    ['logo.png', 'image/png', 'png', 256, 256, true],
    ['photo.webp', 'image/webp', 'webp', 640, 480, false],
  ])('sample %s', (name, mime, sourceFormat, width, height, hasAlpha) => {
    it.each(['jpeg', 'png', 'webp'] as const)('resizes to a width keeping the aspect ratio, as %s', async (format) => {
      const result = await run({ imageUrl: dataUrl(name, mime), width: 200, format, returnImage: true });
      const expectedHeight = Math.round((200 * height) / width);
      expect(result.source).toMatchObject({ format: sourceFormat, width, height, bytes: sample(name).length });
      expect(result.source.url).toMatch(/^data:image\/\w+;base64,.+…\(\d+ chars\)$/);
      expect(result.output).toMatchObject({ format, width: 200, height: expectedHeight });
      const decoded = await decodeOutput(result);
      expect(decoded.mime).toBe(format);
      expect(decoded.meta).toMatchObject({ format, width: 200, height: expectedHeight });
      expect(decoded.bytes.length).toBe(result.output.bytes);
      // JPEG cannot carry alpha; the other formats keep the logo's transparency.
      expect(decoded.meta.hasAlpha).toBe(format !== 'jpeg' && hasAlpha);
    });
  });

  it('defaults to width 800, jpeg and fit inside, and omits the image unless asked', async () => {
    const result = await run({ imageUrl: dataUrl('landscape.jpg', 'image/jpeg'), unknownField: 1 });
    expect(result.output).toMatchObject({ format: 'jpeg', width: 800, height: 533 });
    expect(result.output.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.image).toBeUndefined();
  });

  it('fits both dimensions as asked', async () => {
    const url = dataUrl('landscape.jpg', 'image/jpeg');
    const cover = await run({ imageUrl: url, width: 300, height: 300, fit: 'cover' });
    expect(cover.output).toMatchObject({ width: 300, height: 300 });
    const inside = await run({ imageUrl: url, width: 300, height: 300 });
    expect(inside.output).toMatchObject({ width: 300, height: 200 });
    const byHeight = await run({ imageUrl: url, height: 100, format: 'png' });
    expect(byHeight.output).toMatchObject({ format: 'png', width: 150, height: 100 });
  });

  it('lower quality gives a smaller jpeg', async () => {
    const url = dataUrl('photo.webp', 'image/webp');
    const low = await run({ imageUrl: url, width: 640, quality: 20 });
    const high = await run({ imageUrl: url, width: 640, quality: 95 });
    expect(low.output.bytes).toBeLessThan(high.output.bytes);
  });

  it('reports progress through the stages', async () => {
    const ctx = testContext();
    await run({ imageUrl: dataUrl('logo.png', 'image/png'), width: 64 }, ctx);
    const stages = ctx.progress.mock.calls.map(([d]) => (d as { stage: string }).stage);
    expect(stages).toEqual(['fetched', 'decoded', 'encoded']);
  });

  describe('over http', () => {
    let server: Server;
    let base: string;
    const requests: string[] = [];

    beforeAll(async () => {
      server = createServer((req, res) => {
        requests.push(req.url ?? '');
        if (req.url === '/samples/logo.png') {
          res.writeHead(200, { 'content-type': 'image/png' }).end(sample('logo.png'));
        } else if (req.url === '/garbage') {
          res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from('this is not an image at all'));
        } else if (req.url === '/unavailable') {
          res.writeHead(503).end('try later');
        } else if (req.url === '/never') {
          // Accepts the request and never answers, so only cancellation (or the timeout) can end the fetch.
        } else if (req.url === '/gone') {
          res.writeHead(410).end();
        } else {
          res.writeHead(404).end('not found');
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('fetches and resizes a served sample', async () => {
      const url = `${base}/samples/logo.png`;
      const result = await run({ imageUrl: url, width: 100, format: 'webp', returnImage: true });
      expect(requests).toContain('/samples/logo.png');
      expect(result.source).toEqual({ url, format: 'png', width: 256, height: 256, bytes: sample('logo.png').length });
      const decoded = await decodeOutput(result);
      expect(decoded.meta).toMatchObject({ format: 'webp', width: 100, height: 100 });
    });

    it('gives PermanentTaskError for a 404', async () => {
      const url = `${base}/missing.png`;
      const error = await run({ imageUrl: url }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentTaskError);
      expect((error as Error).message).toBe(`could not fetch the image from ${url}: HTTP 404`);
    });

    it('gives PermanentTaskError for a 410', async () => {
      await expect(run({ imageUrl: `${base}/gone` })).rejects.toThrow(PermanentTaskError);
    });

    it('gives a retryable ImageFetchError for a 503', async () => {
      const url = `${base}/unavailable`;
      const error = await run({ imageUrl: url }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageFetchError);
      expect((error as Error).name).toBe('ImageFetchError');
      expect((error as Error).message).toBe(`could not fetch the image from ${url}: HTTP 503`);
    });

    it('gives InvalidPayloadError for bytes that are not an image', async () => {
      const error = await run({ imageUrl: `${base}/garbage` }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect((error as Error).message).toContain('is not a decodable image');
    });

    it('gives TaskCancelledError when cancelled before the fetch', async () => {
      const ctx = testContext();
      ctx.controller.abort();
      await expect(run({ imageUrl: `${base}/samples/logo.png` }, ctx)).rejects.toBeInstanceOf(TaskCancelledError);
    });

    it('gives TaskCancelledError when cancelled during the fetch', async () => {
      const ctx = testContext();
      setTimeout(() => ctx.controller.abort(), 100);
      // /never never answers: only the cancellation can end this fetch with TaskCancelledError (its own timeout
      // would give ImageFetchError).
      await expect(run({ imageUrl: `${base}/never` }, ctx)).rejects.toBeInstanceOf(TaskCancelledError);
    });
  });

  it('gives ImageFetchError when the connection is refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const url = `http://127.0.0.1:${port}/x.png`;
    const error = await run({ imageUrl: url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('ImageFetchError');
    expect((error as Error).message).toMatch(
      new RegExp(`^could not fetch the image from ${url.replace(/\./g, '\\.')}: .*ECONNREFUSED`),
    );
  });

  it('gives InvalidPayloadError for garbage bytes in a data: URL', async () => {
    const garbage = `data:image/png;base64,${Buffer.from('definitely not a png').toString('base64')}`;
    await expect(run({ imageUrl: garbage })).rejects.toMatchObject({
      name: 'InvalidPayloadError',
      message: expect.stringContaining('is not a decodable image'),
    });
  });

  it('decodes a percent-encoded (non-base64) SVG data: URL', async () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="red"/></svg>';
    const result = await run({ imageUrl: `data:image/svg+xml,${encodeURIComponent(svg)}`, width: 20, format: 'png' });
    expect(result.source).toMatchObject({ format: 'svg', width: 40, height: 20 });
    expect(result.output).toMatchObject({ width: 20, height: 10 });
  });

  it.each([
    [{}, 'imageUrl is required'],
    [{ imageUrl: 42 }, 'imageUrl must be a non-empty string'],
    [{ imageUrl: 'not a url' }, 'not a valid URL'],
    [{ imageUrl: 'ftp://example.com/a.png' }, 'http:, https: or data:'],
    [{ imageUrl: 'file:///etc/passwd' }, 'http:, https: or data:'],
    [{ imageUrl: 'data:image/png;base64' }, 'no comma'],
    [{ imageUrl: 'data:image/png;base64,@@@not base64@@@' }, 'bad base64'],
    [{ imageUrl: 'data:image/png;base64,' }, 'no data'],
    [{ imageUrl: 'https://example.com/a.png', width: 0 }, 'width'],
    [{ imageUrl: 'https://example.com/a.png', height: 8001 }, 'height'],
    [{ imageUrl: 'https://example.com/a.png', width: 10.5 }, 'width'],
    [{ imageUrl: 'https://example.com/a.png', format: 'gif' }, 'format'],
    [{ imageUrl: 'https://example.com/a.png', quality: 101 }, 'quality'],
    [{ imageUrl: 'https://example.com/a.png', fit: 'outside' }, 'fit'],
    [{ imageUrl: 'https://example.com/a.png', returnImage: 'yes' }, 'returnImage'],
  ])('rejects the bad payload %j', async (payload, message) => {
    const error = await run(payload).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect((error as Error).message).toContain(message);
  });

  it('answers a warm-up event without fetching anything', async () => {
    await expect(handler({ spillway: { warmup: true } }, testContext().context)).resolves.toMatchObject({
      warmed: true,
    });
  });
});
