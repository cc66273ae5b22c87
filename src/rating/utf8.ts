/**
 * Rate files are UTF-8 text: bytes that are not (a file saved as Latin-1 or
 * Windows-1252) would load with replacement characters in destination names,
 * so they are found and named by line and column before any parsing.
 */
const fatal = new TextDecoder('utf-8', { fatal: true });
/** As Buffer#toString('utf8') for valid UTF-8: a byte order mark is kept (the CSV reader skips it). */
const fatalKeepingBom = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of UTF-8 bytes, decoded once; undefined when they are not UTF-8 (firstInvalidUtf8 says where). */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return fatalKeepingBom.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Where the first byte sequence that is not UTF-8 starts; undefined when all is UTF-8. */
export function firstInvalidUtf8(bytes: Uint8Array): { line: number; column: number; byte: number } | undefined {
  try {
    fatal.decode(bytes);
    return undefined;
  } catch {
    // Found below, line by line: a bad sequence never spans a newline byte.
  }
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    const slice = bytes.subarray(start, i);
    try {
      fatal.decode(slice);
    } catch {
      for (let j = 1; j <= slice.length; j++) {
        try {
          // A fresh decoder each time: a streaming one would carry the previous prefix along.
          new TextDecoder('utf-8', { fatal: true }).decode(slice.subarray(0, j), { stream: true });
        } catch {
          // The first prefix that cannot be UTF-8 ends at the bad byte; a sequence cut short started at its lead byte.
          const at = leadOf(slice, j - 1);
          return { line, column: at + 1, byte: slice[at]! };
        }
      }
      return { line, column: slice.length, byte: slice[slice.length - 1]! };
    }
    line++;
    start = i + 1;
  }
  return undefined;
}

/** The lead byte of an unfinished multi-byte sequence that ends before `k`, else k itself. */
function leadOf(bytes: Uint8Array, k: number): number {
  for (let b = k - 1; b >= Math.max(0, k - 3); b--) {
    const v = bytes[b]!;
    if (v >= 0xc0) return b;
    if (v < 0x80) break;
  }
  return k;
}
