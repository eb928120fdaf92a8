// UTF-8, Base64 and hashing for States.Base64Encode/Decode and States.Hash, in plain JavaScript: no Buffer, no
// TextEncoder (whose presence in the workflow sandbox we do not rely on), no node:crypto. Hashes come from
// @noble/hashes, which is pure JavaScript and audited; we hand it bytes, never strings, so it needs no TextEncoder.

import { md5, sha1 } from '@noble/hashes/legacy';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';

/** UTF-8 bytes of a string. Lone surrogates become U+FFFD, as WHATWG's encoder does. */
export function utf8Encode(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        cp = 0xfffd;
      }
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
      cp = 0xfffd;
    }
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return Uint8Array.from(out);
}

/** Decodes UTF-8; malformed sequences become U+FFFD, as WHATWG's decoder does by default. */
export function utf8Decode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i]!;
    let cp = 0xfffd;
    let need = 0;
    let min = 0;
    if (b0 < 0x80) {
      cp = b0;
    } else if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
      min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
      min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      cp = b0 & 0x07;
      min = 0x10000;
    }
    i++;
    if (need > 0) {
      let ok = true;
      for (let k = 0; k < need; k++) {
        const b = bytes[i];
        if (b === undefined || (b & 0xc0) !== 0x80) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (b & 0x3f);
        i++;
      }
      if (!ok || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
    }
    out += String.fromCodePoint(cp);
  }
  return out;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Map([...ALPHABET].map((c, i) => [c, i]));

/** Standard Base64 with padding (RFC 4648 §4). */
export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
    out += b === undefined ? '=' : ALPHABET[(n >> 6) & 63]!;
    out += c === undefined ? '=' : ALPHABET[n & 63]!;
  }
  return out;
}

/** Thrown by base64Decode for text outside the Base64 alphabet or of an impossible length. */
export class InvalidBase64Error extends Error {
  constructor(reason: string) {
    super(`not valid Base64: ${reason}`);
    this.name = 'InvalidBase64Error';
  }
}

/** Decodes standard Base64; padding may be omitted. */
export function base64Decode(text: string): Uint8Array {
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) throw new InvalidBase64Error(`a length of ${text.length} is impossible`);
  if (text.length - body.length > 2) throw new InvalidBase64Error('too much padding');
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of body) {
    const v = DECODE.get(ch);
    if (v === undefined) throw new InvalidBase64Error(`"${ch}" is not in the alphabet`);
    buffer = (buffer << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

export const HASH_ALGORITHMS = ['MD5', 'SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

const HASHERS: Record<HashAlgorithm, (data: Uint8Array) => Uint8Array> = {
  MD5: md5,
  'SHA-1': sha1,
  'SHA-256': sha256,
  'SHA-384': sha384,
  'SHA-512': sha512,
};

export function isHashAlgorithm(name: unknown): name is HashAlgorithm {
  return typeof name === 'string' && (HASH_ALGORITHMS as readonly string[]).includes(name);
}

/** Lower-case hex digest of a string's UTF-8 bytes, as States.Hash and $hash return it. */
export function hashHex(text: string, algorithm: HashAlgorithm): string {
  return bytesToHex(HASHERS[algorithm](utf8Encode(text)));
}
