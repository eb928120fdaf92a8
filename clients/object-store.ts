// Large payloads and results through S3 (or any S3-compatible server: SeaweedFS locally, see
// scripts/lib/s3-server.js): one bucket per region, `<prefix><region>`, and one client per region so that pre-signed
// URLs are signed for the bucket's own region. A function gets a GET URL for its input and a PUT URL for its result.
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ObjectStoreConfig } from '../domain/config';
import type { ObjectRef } from '../domain/object-ref';
import type { AttemptRecord } from '../domain/attempt-record';
import { transferCost, type TransferPrices } from '../domain/region-model';

export interface ObjectStore {
  /** The bucket of a region: `<prefix><region>`. */
  bucketFor(region: string): string;
  /** Creates the region's bucket if it does not exist (idempotent). */
  ensureBucket(region: string): Promise<void>;
  put(region: string, key: string, body: Uint8Array | string, contentType?: string): Promise<ObjectRef>;
  get(region: string, key: string): Promise<Uint8Array>;
  /** Size and type of a stored object; undefined when there is none. */
  head(region: string, key: string): Promise<{ sizeBytes: number; contentType?: string } | undefined>;
  delete(region: string, key: string): Promise<void>;
  /** A URL that GETs the object without credentials until it expires (default: SPILLWAY_S3_URL_TTL_SECONDS). */
  presignGet(region: string, key: string, ttlSeconds?: number): Promise<string>;
  /** A URL that PUTs one object at the key without credentials until it expires. */
  presignPut(region: string, key: string, ttlSeconds?: number, contentType?: string): Promise<string>;
  /** Empties and deletes the region's bucket (tests, teardown). */
  removeBucket(region: string): Promise<void>;
  destroy(): void;
}

/** Thrown by ObjectStore.get when the object does not exist (a result the function never wrote, say). */
export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
}

export function createObjectStore(config: ObjectStoreConfig): ObjectStore {
  const clients = new Map<string, S3Client>();
  const client = (region: string): S3Client => {
    let c = clients.get(region);
    if (!c) {
      c = new S3Client({
        region,
        endpoint: config.endpoint,
        forcePathStyle: config.forcePathStyle,
        credentials:
          config.accessKeyId && config.secretAccessKey
            ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey }
            : undefined,
        // Pre-signed PUTs must not carry a checksum of an empty body, which the SDK adds by default since 3.729.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      clients.set(region, c);
    }
    return c;
  };
  const bucketFor = (region: string) => `${config.bucketPrefix}${region}`.toLowerCase();
  const ensured = new Set<string>();
  const notFound = (err: unknown) => {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
  };

  return {
    bucketFor,
    async ensureBucket(region) {
      if (ensured.has(region)) return;
      const Bucket = bucketFor(region);
      try {
        await client(region).send(new HeadBucketCommand({ Bucket }));
      } catch (err) {
        if (!notFound(err)) throw err;
        try {
          await client(region).send(
            new CreateBucketCommand({
              Bucket,
              // us-east-1 is the one region that must not be named as a location constraint.
              CreateBucketConfiguration: region === 'us-east-1' ? undefined : { LocationConstraint: region as never },
            }),
          );
        } catch (createErr) {
          const name = (createErr as { name?: string }).name;
          if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw createErr;
        }
      }
      ensured.add(region);
    },
    async put(region, key, body, contentType = 'application/octet-stream') {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      await client(region).send(
        new PutObjectCommand({ Bucket: bucketFor(region), Key: key, Body: bytes, ContentType: contentType }),
      );
      return { region, bucket: bucketFor(region), key, sizeBytes: bytes.byteLength, contentType };
    },
    async get(region, key) {
      try {
        const res = await client(region).send(new GetObjectCommand({ Bucket: bucketFor(region), Key: key }));
        if (!res.Body) throw new ObjectNotFoundError(`s3://${bucketFor(region)}/${key} has no body`);
        return await res.Body.transformToByteArray();
      } catch (err) {
        if (notFound(err)) throw new ObjectNotFoundError(`s3://${bucketFor(region)}/${key} does not exist`);
        throw err;
      }
    },
    async head(region, key) {
      try {
        const res = await client(region).send(new HeadObjectCommand({ Bucket: bucketFor(region), Key: key }));
        return { sizeBytes: res.ContentLength ?? 0, contentType: res.ContentType };
      } catch (err) {
        if (notFound(err)) return undefined;
        throw err;
      }
    },
    async delete(region, key) {
      await client(region).send(new DeleteObjectCommand({ Bucket: bucketFor(region), Key: key }));
    },
    presignGet(region, key, ttlSeconds = config.urlTtlSeconds) {
      return getSignedUrl(client(region), new GetObjectCommand({ Bucket: bucketFor(region), Key: key }), {
        expiresIn: ttlSeconds,
      });
    },
    presignPut(region, key, ttlSeconds = config.urlTtlSeconds, contentType?: string) {
      return getSignedUrl(
        client(region),
        new PutObjectCommand({ Bucket: bucketFor(region), Key: key, ContentType: contentType }),
        { expiresIn: ttlSeconds },
      );
    },
    async removeBucket(region) {
      const Bucket = bucketFor(region);
      for (let page = 0; page < 1000; page++) {
        const list = await client(region).send(new ListObjectsV2Command({ Bucket, MaxKeys: 1000 }));
        const keys = (list.Contents ?? []).map((o) => o.Key).filter((k): k is string => Boolean(k));
        for (const Key of keys) await client(region).send(new DeleteObjectCommand({ Bucket, Key }));
        if (!list.IsTruncated) break;
      }
      await client(region).send(new DeleteBucketCommand({ Bucket }));
      ensured.delete(region);
    },
    destroy() {
      for (const c of clients.values()) c.destroy();
      clients.clear();
    },
  };
}

/** What moving a stored object to the region that reads it (and nothing back) costs. */
export function objectTransferCost(prices: TransferPrices, ref: ObjectRef, readerRegion: string): number {
  return transferCost(prices, { dataRegion: ref.region, runRegion: readerRegion, bytesIn: ref.sizeBytes, bytesOut: 0 });
}

/**
 * What one attempt moved between regions: its stored payload, from its bucket to the region that ran it, and its
 * stored result, from there to the result's bucket (the task's data region). Inline payloads and results ride the
 * event and the callback, and are not counted.
 */
export function attemptTransferCost(
  prices: TransferPrices,
  moved: { payload?: ObjectRef; result?: ObjectRef; runRegion: string },
): number {
  const payload = moved.payload ? objectTransferCost(prices, moved.payload, moved.runRegion) : 0;
  const result = moved.result
    ? transferCost(prices, {
        dataRegion: moved.result.region,
        runRegion: moved.runRegion,
        bytesIn: 0,
        bytesOut: moved.result.sizeBytes,
      })
    : 0;
  return payload + result;
}

/** The attempt with its transfer cost added to its cost (and shown apart); unchanged when nothing was moved. */
export function withTransferCost<A extends AttemptRecord>(attempt: A, transferUsd: number): A {
  if (!(transferUsd > 0)) return attempt;
  return { ...attempt, transferUsd, costUsd: (attempt.costUsd ?? 0) + transferUsd };
}
