/**
 * Child process of test/unit/sip-dialog-memory.test.ts (run with
 * --expose-gc): builds the two dialogs of an answered B2BUA call from real
 * drachtio-srf messages, made as drachtio-srf's agent makes them from
 * drachtio-server's wire protocol (a leader line of `|`-separated tokens, the
 * SIP text after it), keeps only the dialogs, and reports on one line of JSON
 * what survives a full garbage collection: which setup objects are still
 * alive, and how many strings in a heap snapshot still carry the messages'
 * text. RELEASE=1 calls releaseSetupMessages first.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { getHeapSnapshot } from 'node:v8';
import Srf from 'drachtio-srf';
import { releaseSetupMessages } from '../../src/sip/dialog-memory.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const RELEASE = process.env.RELEASE === '1';
/** Unique text in every message of this run, so the snapshot can be searched for what is left of them. */
const MARK = `probe${randomUUID().replaceAll('-', '')}`;

/** drachtio-srf's classes and the parts of them the probe uses (its typings leave them out). */
type Sip = { get(h: string): string };
interface DialogView {
  id: string;
  dialogType: string;
  socket: unknown;
  sip: object;
  local: object;
  remote: object;
}
const { SipMessage, SipRequest, SipResponse } = Srf as unknown as {
  SipMessage: new (raw?: string) => Sip;
  SipRequest: new (msg: Sip, meta: object) => Record<string, unknown> & { get(h: string): string };
  SipResponse: new (agent?: unknown) => Record<string, unknown> & { msg: Sip; meta: object; req: unknown };
};
const DialogClass = (Srf as unknown as { Dialog: new (srf: unknown, type: string, opts: object) => Srf.Dialog & DialogView }).Dialog;

const sdp = (host: string) => `v=0\r\no=- 1 1 IN IP4 ${host}\r\ns=${MARK}\r\nc=IN IP4 ${host}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n`;
function request(callId: string, fromTag: string, uri: string, contact: string, body: string): string {
  return [
    `INVITE ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK${MARK}`,
    `From: <sip:alice@127.0.0.1>;tag=${fromTag}`,
    `To: <${uri}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <${contact}>`,
    `Subject: ${MARK}`,
    'Content-Type: application/sdp',
    `Content-Length: ${body.length}`,
    '',
    body,
  ].join('\r\n');
}
function ok(callId: string, fromTag: string, toTag: string, uri: string, contact: string, body: string): string {
  return [
    'SIP/2.0 200 OK',
    `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK${MARK}`,
    `From: <sip:alice@127.0.0.1>;tag=${fromTag}`,
    `To: <${uri}>;tag=${toTag}`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <${contact}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${body.length}`,
    '',
    body,
  ].join('\r\n');
}
/** What drachtio-srf's agent does with a message from drachtio-server: tokens of the leader line, the SIP text after it. */
function fromWire(leader: string, sip: string): { meta: Record<string, string>; msg: Sip } {
  const text = `${leader}\r\n${sip}`;
  const pos = text.indexOf('\r\n');
  const token = text.slice(0, pos).split('|');
  const meta = { source: token[2]!, protocol: token[4]!, address: token[5]!, port: token[6]!, time: token[7]!, transactionId: token[8]!, dialogId: token[9]! };
  return { meta, msg: new SipMessage(text.slice(pos + 2)) };
}

const agent = {};
const socket = {};
const srf = new Srf() as Srf & { addDialog(d: unknown): void; findDialogById(id: string): unknown };
const weak: Array<WeakRef<object>> = [];

function answeredCall(): Array<Srf.Dialog & DialogView> {
  // Caller leg (uas): the INVITE from the network, our 200 OK.
  const aCall = `a-${MARK}@127.0.0.1`;
  const inbound = fromWire(`${MARK}1|sip|network|1200|udp|127.0.0.1|5070|12:00:00.000|txn-${MARK}-1|${aCall};from-tag=a1`, request(aCall, 'a1', 'sip:+442079460000@127.0.0.1', 'sip:alice@127.0.0.1:5070', sdp('127.0.0.1')));
  const invite = new SipRequest(inbound.msg, inbound.meta);
  const response = new SipResponse(agent);
  invite.res = response;
  response.req = invite;
  invite.agent = agent;
  invite.socket = socket;
  response.socket = socket;
  const sentOk = new SipMessage(ok(aCall, 'a1', 'b2bua1', 'sip:+442079460000@127.0.0.1', 'sip:gw@127.0.0.1:5060', sdp('127.0.0.2')));
  response.meta = fromWire(`${MARK}2|sip|application|900|udp|127.0.0.1|5070|12:00:00.100|txn-${MARK}-2|${aCall};from-tag=a1`, '').meta;
  // Callee leg (uac): our INVITE as drachtio-server echoed it, the carrier's 200 OK.
  const bCall = `b-${MARK}@127.0.0.1`;
  const sent = fromWire(`${MARK}3|sip|application|1200|udp|127.0.0.1|5080|12:00:00.010|txn-${MARK}-3`, request(bCall, 'b1', 'sip:+442079460000@127.0.0.1:5080', 'sip:gw@127.0.0.1:5060', sdp('127.0.0.1')));
  const outbound = new SipRequest(sent.msg, sent.meta);
  outbound.agent = agent;
  outbound.socket = socket;
  const answer = fromWire(`${MARK}4|sip|network|900|udp|127.0.0.1|5080|12:00:00.090|txn-${MARK}-3|${bCall};from-tag=b1`, ok(bCall, 'b1', 'c1', 'sip:+442079460000@127.0.0.1:5080', 'sip:carrier@127.0.0.1:5080', sdp('127.0.0.3')));
  const answerRes = new SipResponse(agent);
  answerRes.msg = answer.msg;
  answerRes.meta = answer.meta;

  const uas = new DialogClass(srf, 'uas', { req: invite, res: response, sent: sentOk });
  const uac = new DialogClass(srf, 'uac', { req: outbound, res: answerRes });
  srf.addDialog(uas);
  srf.addDialog(uac);
  for (const o of [invite, response, sentOk, outbound, answerRes, inbound.msg, answer.msg]) weak.push(new WeakRef(o as object));
  return [uas, uac];
}

const dialogs = answeredCall();
/** What the dialogs say of themselves, as one new string (holding their values would keep what they were cut from). */
const describe = () => JSON.stringify(dialogs.map((d) => ({ id: d.id, type: d.dialogType, socket: d.socket === socket, sip: d.sip, local: d.local, remote: d.remote })));
const before = Buffer.from(describe()).toString();
if (RELEASE) releaseSetupMessages(...dialogs);
const after = Buffer.from(describe()).toString();
// WeakRefs made in a job hold their targets until it ends, and the last RegExp match holds its subject.
await new Promise((resolve) => setTimeout(resolve, 0));
/x/.exec('x');
gc();
gc();

/** Strings in the heap that hold the messages' text (any string with the mark in it, and any it is a slice of). */
async function stringsWithMark(): Promise<{ strings: number; longest: number }> {
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    getHeapSnapshot()
      .pipe(new Writable({ write: (c: Buffer, _e, done) => { chunks.push(c); done(); } }))
      .on('finish', resolve)
      .on('error', reject);
  });
  if (process.env.PROBE_SNAPSHOT) (await import('node:fs')).writeFileSync(process.env.PROBE_SNAPSHOT, Buffer.concat(chunks));
  const snap = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { strings: string[] };
  // The probe's own strings with the mark are short, or its descriptions of the dialogs (a snapshot cuts strings at 1,024).
  const hits = snap.strings.filter((s) => s.includes(MARK) && s.length > 200 && !before.startsWith(s) && !after.startsWith(s));
  if (process.env.PROBE_DEBUG) for (const h of hits) process.stderr.write(`${h.length} ${JSON.stringify(h.slice(0, 90))}\n`);
  return { strings: hits.length, longest: Math.max(0, ...hits.map((s) => s.length)) };
}

const heap = await stringsWithMark();
process.stdout.write(
  `${JSON.stringify({
    before: JSON.parse(before) as unknown,
    after: JSON.parse(after) as unknown,
    filed: dialogs.map((d) => srf.findDialogById(d.id) === d),
    setupObjectsAlive: weak.filter((w) => w.deref() !== undefined).length,
    messageText: heap,
  })}\n`,
);
