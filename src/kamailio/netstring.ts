/**
 * Netstrings ("LEN:DATA,", LEN in bytes), the framing of Kamailio's evapi
 * socket: an encoder, and a decoder fed TCP chunks that yields whole frames.
 */

export function encodeNetstring(text: string): string {
  return `${Buffer.byteLength(text)}:${text},`;
}

/** Frames too long for Kamailio's own evapi buffer (32 KB) are not ours: treated as garbage. */
const MAX_FRAME_BYTES = 64 * 1024;

export interface NetstringDecoder {
  /** Feeds a chunk; calls onFrame for each whole frame, onGarbage for bytes that are no netstring (skipped to the next frame). */
  push(chunk: Buffer): void;
  /** Bytes waiting for the rest of a frame. */
  readonly pending: number;
}

export function createNetstringDecoder(onFrame: (frame: string) => void, onGarbage: (bytes: string) => void): NetstringDecoder {
  let buf: Buffer = Buffer.alloc(0);
  const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;
  const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
  return {
    push(chunk) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let pos = 0;
      while (pos < buf.length) {
        while (pos < buf.length && isSpace(buf[pos]!)) pos++;
        if (pos >= buf.length) break;
        let colon = pos;
        while (colon < buf.length && isDigit(buf[colon]!) && colon - pos < 6) colon++;
        if (colon >= buf.length) break; // the length is still arriving
        const lenText = buf.toString('latin1', pos, colon);
        const len = Number(lenText);
        if (buf[colon] !== 0x3a || lenText === '' || len > MAX_FRAME_BYTES) {
          // Not a netstring here: skip past the next ',' (the end of whatever this was) and go on.
          const comma = buf.indexOf(0x2c, pos);
          const end = comma < 0 ? buf.length : comma + 1;
          onGarbage(buf.toString('utf8', pos, Math.min(end, pos + 200)));
          pos = end;
          continue;
        }
        const start = colon + 1;
        if (buf.length < start + len + 1) break; // the rest of the frame is still arriving
        if (buf[start + len] !== 0x2c) {
          const comma = buf.indexOf(0x2c, start);
          const end = comma < 0 ? buf.length : comma + 1;
          onGarbage(buf.toString('utf8', pos, Math.min(end, pos + 200)));
          pos = end;
          continue;
        }
        onFrame(buf.toString('utf8', start, start + len));
        pos = start + len + 1;
      }
      buf = pos >= buf.length ? Buffer.alloc(0) : buf.subarray(pos);
    },
    get pending() {
      return buf.length;
    },
  };
}
