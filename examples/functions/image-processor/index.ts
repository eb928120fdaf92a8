// Fetches an image (http, https or data: URL), decodes it with sharp, resizes it and encodes it again.
import type { FitEnum, Metadata } from 'sharp';
import type sharpFactory from 'sharp';
import { InvalidPayloadError, throwIfCancelled } from '../../../domain/handler-contract';
import { wrapHandler } from '../../../sdk/wrap-handler';
import { sha256Hex } from '../shared/hash';
import { optionalBoolean, optionalEnum, optionalInteger, payloadObject, requiredString } from '../shared/payload';
import { abbreviateUrl, decodeDataUrl, fetchImage, isDataUrl } from './source';

export { ImageFetchError } from './source';

export type OutputFormat = 'jpeg' | 'png' | 'webp';
export type Fit = Extract<keyof FitEnum, 'cover' | 'contain' | 'inside' | 'fill'>;

export interface ImageProcessingPayload {
  imageUrl: string;
  width?: number;
  height?: number;
  format?: OutputFormat;
  /** 1..100; applies to jpeg and webp (png is lossless here). */
  quality?: number;
  fit?: Fit;
  returnImage?: boolean;
}

export interface ImageProcessingResult {
  source: { url: string; format: string; width: number; height: number; bytes: number };
  output: { format: OutputFormat; width: number; height: number; bytes: number; sha256: string };
  /** A data: URL of the output; only when returnImage is set and the output is under 256 KB. */
  image?: string;
}

const MAX_DIMENSION = 8000;
const DEFAULT_WIDTH = 800;
const MAX_RETURNED_IMAGE_BYTES = 256 * 1024;

function parsePayload(payload: unknown) {
  const fields = payloadObject(payload);
  const imageUrl = requiredString(fields, 'imageUrl');
  if (!isDataUrl(imageUrl)) {
    let protocol: string;
    try {
      protocol = new URL(imageUrl).protocol;
    } catch {
      throw new InvalidPayloadError(`imageUrl is not a valid URL: ${abbreviateUrl(imageUrl)}`);
    }
    if (protocol !== 'http:' && protocol !== 'https:') {
      throw new InvalidPayloadError(`imageUrl must be an http:, https: or data: URL, got ${protocol}`);
    }
  }
  const width = optionalInteger(fields, 'width', 1, MAX_DIMENSION);
  const height = optionalInteger(fields, 'height', 1, MAX_DIMENSION);
  return {
    imageUrl,
    width: width === undefined && height === undefined ? DEFAULT_WIDTH : width,
    height,
    format: optionalEnum<OutputFormat>(fields, 'format', ['jpeg', 'png', 'webp']) ?? 'jpeg',
    quality: optionalInteger(fields, 'quality', 1, 100),
    fit: optionalEnum<Fit>(fields, 'fit', ['cover', 'contain', 'inside', 'fill']) ?? 'inside',
    returnImage: optionalBoolean(fields, 'returnImage') ?? false,
  };
}

// sharp loads a large native library, so it is loaded on first use rather than at import time.
let sharpModule: Promise<typeof sharpFactory> | undefined;
const loadSharp = () => (sharpModule ??= import('sharp').then((m) => m.default));

function notDecodable(url: string, err: unknown): InvalidPayloadError {
  const reason = err instanceof Error ? err.message : String(err);
  return new InvalidPayloadError(`the data at ${abbreviateUrl(url)} is not a decodable image: ${reason}`);
}

/** Width and height as displayed, i.e. after the EXIF orientation is applied (as the pipeline does). */
function displaySize(meta: Metadata): { width: number; height: number } {
  const swap = (meta.orientation ?? 1) >= 5;
  return { width: swap ? meta.height : meta.width, height: swap ? meta.width : meta.height };
}

export const handler = wrapHandler<ImageProcessingPayload, ImageProcessingResult>(async (event, context) => {
  const options = parsePayload(event.payload);
  const { imageUrl } = options;

  const input = isDataUrl(imageUrl) ? decodeDataUrl(imageUrl) : await fetchImage(imageUrl, context.signal);
  throwIfCancelled(context);
  context.progress?.({ stage: 'fetched', bytes: input.length });

  const sharp = await loadSharp();
  // failOn 'error' tolerates the harmless warnings many real-world files trigger (e.g. extra bytes after the end).
  const image = sharp(input, { failOn: 'error' });
  let meta: Metadata;
  try {
    meta = await image.metadata();
  } catch (err) {
    throw notDecodable(imageUrl, err);
  }
  const source = { url: abbreviateUrl(imageUrl), format: meta.format, bytes: input.length, ...displaySize(meta) };
  throwIfCancelled(context);
  context.progress?.({ stage: 'decoded', format: source.format, width: source.width, height: source.height });

  let pipeline = image.rotate().resize({ width: options.width, height: options.height, fit: options.fit });
  switch (options.format) {
    case 'jpeg':
      // JPEG has no alpha; without flattening, transparent areas would turn black.
      pipeline = pipeline.flatten({ background: '#ffffff' }).jpeg({ quality: options.quality });
      break;
    case 'png':
      pipeline = pipeline.png();
      break;
    case 'webp':
      pipeline = pipeline.webp({ quality: options.quality });
      break;
  }
  let data: Buffer;
  let info: { width: number; height: number };
  try {
    ({ data, info } = await pipeline.toBuffer({ resolveWithObject: true }));
  } catch (err) {
    // The header may parse while the pixel data does not (truncated files), so this is a decoding failure too.
    throw notDecodable(imageUrl, err);
  }
  throwIfCancelled(context);
  context.progress?.({ stage: 'encoded', bytes: data.length });

  const result: ImageProcessingResult = {
    source,
    output: {
      format: options.format,
      width: info.width,
      height: info.height,
      bytes: data.length,
      sha256: sha256Hex(data),
    },
  };
  if (options.returnImage && data.length < MAX_RETURNED_IMAGE_BYTES) {
    result.image = `data:image/${options.format};base64,${data.toString('base64')}`;
  }
  return result;
});
