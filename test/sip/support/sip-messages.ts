/**
 * Reading sipp's message traces in SIP suite assertions, and the suite's
 * small shared helpers (polling, skip notice).
 */
import { findDrachtio, hasSipp } from './drachtio-server.js';
import type { SippResult } from './sipp.js';

/** The drachtio-server binary, or undefined after printing why the suite is skipped. */
export function sipSuiteBinary(): string | undefined {
  const bin = findDrachtio();
  if (!bin) console.log('SIP suite skipped: no drachtio-server binary (set DRACHTIO_BIN)');
  else if (!hasSipp()) {
    console.log('SIP suite skipped: no sipp on PATH (Debian package sip-tester)');
    return undefined;
  }
  return bin;
}

/** SIP messages of a sipp trace, one string each, line ends as "\n". */
export function messagesOf(result: SippResult): string[] {
  return result.messages
    .replace(/\r\n/g, '\n')
    .split(/\n\s*\n/)
    .map((block) => block.replace(/^[\s\S]*?(?=^(?:SIP\/2\.0 |[A-Z]+ sips?:))/m, ''))
    .filter((block) => /^(?:SIP\/2\.0 |[A-Z]+ sips?:)/.test(block));
}

/** The first final response the caller got, with its headers. */
export function finalResponse(result: SippResult): { status: number; text: string } | undefined {
  for (const text of messagesOf(result)) {
    const m = /^SIP\/2\.0 (\d{3})/.exec(text);
    if (m && Number(m[1]) >= 200) return { status: Number(m[1]), text };
  }
  return undefined;
}

/** Distinct calls (Call-IDs) that got a final response with this status. */
export function callsAnswered(result: SippResult, status: number): number {
  const ids = new Set<string>();
  for (const text of messagesOf(result)) {
    if (!text.startsWith(`SIP/2.0 ${status} `)) continue;
    const id = /^Call-ID:\s*(.+)$/im.exec(text)?.[1];
    if (id) ids.add(id.trim());
  }
  return ids.size;
}

/** One US cent in micros: the test rates are chosen so charges come out in whole cents. */
export const USD_CENT = 10_000;

export async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}
